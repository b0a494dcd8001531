"""Claims on rows that a sender works on: who holds one, and when it may be taken over.

A sender claims a row with a conditional UPDATE that stamps the time (`<prefix>claimed_at`) and, when
its email backend commits at the final dot (`quitgpt.smtp`), the PostgreSQL backend pid of its database
connection (`<prefix>claimed_by`). A claim is free when nobody holds it, when it is older than the
timeout, or when the connection that took it is gone: a worker killed with SIGKILL loses its
connections at once, so a fresh sender takes its rows over in seconds instead of after the timeout.

Taking over on that evidence cannot send twice: the sender that commits at the dot records "sent" with
an UPDATE conditional on its own claim (time and pid), so of two senders only one can commit, and the
other drops its connection before the dot. A pid that PostgreSQL reuses, or a pooled server connection,
only makes a dead claim look alive (the timeout then applies); a claim taken by a backend that does not
commit at the dot records no pid and waits for the timeout, as every claim did before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from quitgpt.smtp import commits_at_the_dot


def claimer_pid() -> int | None:
    """The pid to record in a claim: this connection's backend pid, or None (not PostgreSQL, or a backend
    that does not commit at the dot: such a claim is only given up after its timeout)."""
    if connection.vendor != "postgresql" or not commits_at_the_dot():
        return None
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def claim_free(*, prefix: str, now: datetime, timeout: timedelta) -> Q:
    """Rows whose claim may be taken: none, older than `timeout`, or held by a connection that is gone."""
    at, by = f"{prefix}claimed_at", f"{prefix}claimed_by"
    free = Q(**{f"{at}__isnull": True}) | Q(**{f"{at}__lt": now - timeout})
    if connection.vendor == "postgresql":
        live = RawSQL("SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL", ())
        free |= Q(**{f"{by}__isnull": False}) & ~Q(**{f"{by}__in": live})
    return free
