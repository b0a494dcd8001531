"""Fixed-window hit counters in the cache (an atomic INCR in Redis), shared by the public forms."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(key: str, *, window: int) -> int | None:
    """Count one hit on `key` and return its number in the current window (the window starts with the
    first hit and lasts `window` seconds). While Redis is down the cache counts in its database table
    (quitgpt/cache.py). None when no cache answers at all: the caller then counts in the database, so a
    limit still holds."""
    try:
        for _attempt in range(2):
            cache.add(key, 0, timeout=window)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr: start a new window
                continue
    except Exception:
        logger.warning("rate-limit cache unavailable for %s; counting in the database", key.split(":")[0])
    return None


def hits(keys: list[tuple[str, int]]) -> list[int] | None:
    """`hit` for several (key, window) pairs in one round trip to Redis (a pipeline of SET NX + INCR per
    key; same fixed windows). Falls back to `hit` one by one on another cache backend. None when the
    cache is unreachable."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None or not hasattr(cache, "make_and_validate_key"):
        counts = [hit(key, window=window) for key, window in keys]
        return None if any(count is None for count in counts) else counts  # type: ignore[return-value]
    try:
        names = [cache.make_and_validate_key(key) for key, _window in keys]
        # MULTI/EXEC: a key cannot expire between its SET NX and its INCR (and lose its expiry).
        pipe = client_of(names[0], write=True).pipeline(transaction=True)
        for name, (_key, window) in zip(names, keys, strict=True):
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
        replies = pipe.execute()
    except Exception:
        logger.warning("rate-limit cache unavailable; counting in the database")
        return None
    return [int(count) for count in replies[1::2]]
