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
    """`hit` for several (key, window) pairs in one round trip to Redis (SET NX + INCR per key in one
    MULTI/EXEC; the same fixed windows). Through `hit` one key at a time when there is no Redis to
    pipeline to, or while the cache has fallen back to the database (quitgpt/cache.py). None when no
    cache answers."""
    from quitgpt.cache import primary_in_backoff

    redis_cache = getattr(cache, "primary", cache)  # the Redis behind the database fallback
    client_of = getattr(getattr(redis_cache, "_cache", None), "get_client", None)
    if client_of is not None and not primary_in_backoff(cache):
        try:
            names = [redis_cache.make_and_validate_key(key) for key, _window in keys]
            # MULTI/EXEC: a key cannot expire between its SET NX and its INCR (and lose its expiry).
            pipe = client_of(names[0], write=True).pipeline(transaction=True)
            for name, (_key, window) in zip(names, keys, strict=True):
                pipe.set(name, 0, ex=window, nx=True)
                pipe.incr(name)
            return [int(count) for count in pipe.execute()[1::2]]
        except Exception:
            logger.warning("rate-limit: Redis unreachable; counting through the cache's fallback")
    counts = [hit(key, window=window) for key, window in keys]
    return None if any(count is None for count in counts) else counts  # type: ignore[return-value]
