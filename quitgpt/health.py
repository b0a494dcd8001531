"""Health checks behind /healthz. Apps register extra checks (e.g. tally freshness) in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection

# A check returns ("ok" | "degraded" | "down", detail).
Check = Callable[[], tuple[str, str]]
_checks: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    _checks[name] = check


def check_database() -> tuple[str, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return "down", type(exc).__name__
    return "ok", connection.vendor


def check_cache() -> tuple[str, str]:
    from quitgpt.cache import primary_is_reachable

    if primary_is_reachable(caches["default"]) is False:
        # Requests carry on through the database fallback, but Redis is what we run on.
        return "down", "redis unreachable (the cache falls back to the database)"
    try:
        cache.set("healthz", "1", 10)
        if cache.get("healthz") != "1":
            return "down", "read back failed"
    except Exception as exc:
        return "down", type(exc).__name__
    return "ok", "redis" if settings.REDIS_URL else "in-process"


def check_broker() -> tuple[str, str]:
    if not settings.REDIS_URL:
        return "ok", "tasks run inline (no broker configured)"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
    except Exception as exc:
        return "down", type(exc).__name__
    return "ok", "redis"


register("database", check_database)
register("cache", check_cache)
register("broker", check_broker)


def run_checks() -> tuple[str, dict[str, dict[str, str]]]:
    """The overall state ("ok", "degraded" or "down") and each check's state and detail."""
    results = {}
    for name, check in _checks.items():
        state, detail = check()
        results[name] = {"status": state, "detail": detail}
    if results["database"]["status"] != "ok":
        overall = "down"
    elif all(r["status"] == "ok" for r in results.values()):
        overall = "ok"
    else:
        overall = "degraded"
    return overall, results
