"""The tally job's lock: only one recompute, recount or demo seeding runs at a time."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

LOCK_KEY = 0x7A11_7A11  # pg advisory lock id of the tally job
LOCK_CACHE_KEY = "tally:lock"
LOCK_CACHE_TTL = 600  # a crashed holder's cache lock expires (the pg lock ends with its session)


# --- The lock -------------------------------------------------------------------------------------------
@contextmanager
def tally_lock(*, wait: float = 0.0) -> Iterator[bool]:
    """Yield True if this process holds the tally lock, False if another run holds it.

    PostgreSQL: a session advisory lock (released if the process dies, since its connection closes).
    SQLite: an entry added to the cache; the batches' IMMEDIATE transactions serialise writers anyway.
    """
    deadline = time.monotonic() + wait
    if connection.vendor == "postgresql":
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                got = bool(cursor.fetchone()[0])
            if got or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        try:
            yield got
        finally:
            if got:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    token = uuid.uuid4().hex
    while True:
        try:
            got = cache.add(LOCK_CACHE_KEY, token, LOCK_CACHE_TTL)
        except Exception:  # cache down: SQLite's write lock still serialises the batches
            logger.warning("tally lock: cache unavailable, relying on the database's write lock")
            got, token = True, ""
        if got or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    try:
        yield got
    finally:
        if got and token:
            try:
                if cache.get(LOCK_CACHE_KEY) == token:
                    cache.delete(LOCK_CACHE_KEY)
            except Exception:  # noqa: S110  # nosec B110
                pass
