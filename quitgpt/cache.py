"""The Django cache: Redis, falling back to a table in the database while Redis is unreachable.

Everything that keeps state in the cache keeps working through a Redis outage this way: allauth's rate
limits (so a password or code cannot be guessed faster because Redis died) and its TOTP replay markers,
our per-client counters, the tally snapshot and the signing switch. Callers never see a connection
error; `/healthz` still reports the outage, because it probes Redis itself (`primary_is_reachable`).

After one failure the node stops trying Redis for `RETRY_SECONDS`, so that an outage costs one short
connect timeout per node and period, not one per cache call. What was written to the fallback table
is not copied back, and the table is emptied when a process finds Redis answering again: counters
restart their window, which is the same as a window that ended.

Sessions are not kept in any cache (SESSION_ENGINE is the database backend): a cached session that
missed a logout while Redis was away would sign the person back in when Redis returned.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FALLBACK_TABLE = "quitgpt_cache_fallback"  # the model quitgpt.models.CacheFallbackEntry
RETRY_SECONDS = 10.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# When each Redis location may be tried again, per process.
_retry_at: dict[str, float] = {}


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one `redis.Redis` per connection pool instead of building one
    (with its ~170 response callbacks) on every cache call. The pools are Django's, so the connections
    and their per-process reset after a fork are unchanged; a `redis.Redis` holds no state of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


class RedisWithDatabaseFallback(BaseCache):
    """Redis while it answers, the database cache table while it does not."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.location = server
        self.primary = ReusingRedisCache(server, params)
        fallback_params = {**params, "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 4}}
        self.fallback = DatabaseCache(FALLBACK_TABLE, fallback_params)

    def primary_is_reachable(self) -> bool:
        """Ask Redis itself (for /healthz), whatever the fallback state."""
        try:
            self.primary._cache.get_client(write=False).ping()
        except UNREACHABLE:
            return False
        return True

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= _retry_at.get(self.location, 0.0):
            try:
                result = getattr(self.primary, name)(*args, **kwargs)
            except UNREACHABLE as exc:
                _retry_at[self.location] = time.monotonic() + RETRY_SECONDS
                logger.warning(
                    "cache: Redis unreachable (%s); using the database for %ss",
                    type(exc).__name__,
                    RETRY_SECONDS,
                )
            else:
                if _retry_at.pop(self.location, None) is not None:
                    self._drop_fallback()
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    def _drop_fallback(self) -> None:
        """Redis is back: empty the fallback table, so that a later outage does not serve what was
        written during this one (a cached snapshot, say) as if it were current."""
        try:
            self.fallback.clear()
        except Exception:
            logger.warning("cache: Redis is back, but the fallback table could not be emptied", exc_info=True)
        else:
            logger.warning("cache: Redis is back; the fallback table is emptied")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        return self._call("clear")

    def close(self, **kwargs):
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)


def primary_is_reachable(cache: BaseCache) -> bool | None:
    """Whether the Redis behind `cache` answers; None when `cache` has no Redis to fall back from."""
    probe = getattr(cache, "primary_is_reachable", None)
    return probe() if probe else None


def primary_in_backoff(cache: BaseCache) -> bool:
    """Whether `cache` is skipping its Redis for now (after a failure, for RETRY_SECONDS)."""
    location = getattr(cache, "location", None)
    if location is None or not hasattr(cache, "primary"):
        return False
    return time.monotonic() < _retry_at.get(location, 0.0)
