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
