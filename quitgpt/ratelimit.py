"""Per-client limits of the public forms, written once: fixed-window hit counters in the cache (an
atomic INCR in Redis) with a database count as the fallback when the cache is down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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


# One round trip for every counter of a request: each key counted (INCR) and, if this hit opened its
# window, given the window's expiry, atomically (a script runs alone). The same fixed windows as `hit`.
# With a key to read as well (the last of KEYS when ARGV has one more entry), its value comes last.
_HITS_LUA = """
local counts = {}
for i, window in ipairs(ARGV) do
  if window == 'read' then
    counts[i] = redis.call('GET', KEYS[i]) or false
  else
    local n = redis.call('INCR', KEYS[i])
    if n == 1 then redis.call('EXPIRE', KEYS[i], window) end
    counts[i] = n
  end
end
return counts
"""
_hits_script = None


def hits(keys: list[tuple[str, int]], *, read: str | None = None) -> Any:
    """`hit` for several (key, window) pairs in one round trip to Redis (a script: INCR, and EXPIRE on
    the window's first hit, per key). Through `hit` one key at a time when there is no Redis to script,
    or while the cache has fallen back to the database (quitgpt/cache.py). None when no cache answers.

    With `read`, the cache's value under that key is read in the same round trip, and the answer is
    `(counts, value)` (value None when missing or unreadable)."""
    global _hits_script
    from quitgpt.cache import primary_in_backoff

    redis_cache = getattr(cache, "primary", cache)  # the Redis behind the database fallback
    client_of = getattr(getattr(redis_cache, "_cache", None), "get_client", None)
    if client_of is not None and not primary_in_backoff(cache) and (keys or read):
        try:
            names = [redis_cache.make_and_validate_key(key) for key, _window in keys]
            args: list[Any] = [window for _key, window in keys]
            if read is not None:
                names.append(redis_cache.make_and_validate_key(read))
                args.append("read")
            client = client_of(names[0], write=True)
            if _hits_script is None:
                _hits_script = client.register_script(_HITS_LUA)
            answer = _hits_script(keys=names, args=args, client=client)
            counts = [int(count) for count in answer[: len(keys)]]
            if read is None:
                return counts
            raw = answer[-1]
            return counts, (None if raw is None else redis_cache._cache._serializer.loads(raw))
        except Exception:
            logger.warning("rate-limit: Redis unreachable; counting through the cache's fallback")
    counted = [hit(key, window=window) for key, window in keys]
    counts = None if any(count is None for count in counted) else counted
    if read is None:
        return counts
    try:
        value = cache.get(read)
    except Exception:
        value = None
    return counts, value
