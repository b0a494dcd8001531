"""Per-client limits of the public forms, written once: fixed-window hit counters in the cache (an
atomic INCR in Redis) with a database count as the fallback when the cache is down."""

from __future__ import annotations

import logging
from collections.abc import Callable

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


def over_limit(key: str, *, limit: int, window: int, count_in_database: Callable[[], int]) -> bool:
    """Count one hit for this client and say whether it is over `limit` hits per `window` seconds.

    The one per-client limit of the public forms: `key` names the form and the client (e.g.
    `"events:rsvp:<ip hash>"`); the count is a cache counter (one atomic INCR in Redis), or, when the
    cache is down, `count_in_database()`: the rows this client already wrote in the window, so that the
    limit still holds during an outage. What to do over the limit (drop, refuse, flag) is the caller's."""
    count = hit(key, window=window)
    if count is None:
        count = count_in_database() + 1
    return count > limit
