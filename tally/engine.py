"""The tally engine: exact, incremental, O(changes). Every write to the tally's tables lives here.

The pledges services set `Supporter.tally_dirty = True` (an UPDATE of the supporter row) in the same
transaction as any change that may alter whether or how that supporter counts. `tally_recompute`, under
a lock so that only one runs at a time, takes dirty supporters in batches (`FOR UPDATE SKIP LOCKED`),
derives each one's desired state from its pledges, diffs it against the applied state
(`SupporterTally`), applies +1/-1 to the aggregates, stores the new applied state, clears the flag and
publishes a snapshot, one transaction per batch. See CONTRIBUTING.md, "The tally", for why no lag window
is need"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Sum

from pledges.models import Pledge, Supporter
from tally.lock import tally_lock
from tally.log import log_append
from tally.models import SupporterTally, TallyBucket, TallyCounter
from tally.rules import EMPTY, HELD, SupporterState, derive_states
from tally.snapshot import tally_snapshot_publish

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000

BucketKey = tuple[date, str, str]
STATE_COLUMNS = ("counted", "day", "country", "kinds", *HELD)


def _pledge_rows(supporter_ids: list[int]) -> list[tuple]:
    return list(
        Pledge.objects.filter(supporter_id__in=supporter_ids).values_list(
            # The country is the person's (one per supporter).
            "id",
            "supporter_id",
            "kind",
            "status",
            "suspicious",
            "supporter__country",
            "confirmed_at",
        )
    )


def _applied_states(supporter_ids: list[int]) -> dict[int, SupporterState]:
    rows = SupporterTally.objects.filter(supporter_id__in=supporter_ids).values_list(
        "supporter_id", *STATE_COLUMNS
    )
    return {row[0]: SupporterState(*row[1:]) for row in rows}


def _store_applied_states(states: dict[int, SupporterState]) -> None:
    """Upsert applied states (plain SQL: the ORM's bulk_create costs more than the database here)."""
    if not states:
        return
    table = SupporterTally._meta.db_table
    columns = ", ".join(STATE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS)
    row = "(" + ", ".join(["%s"] * (len(STATE_COLUMNS) + 1)) + ")"
    values = [
        (sid, st.counted, st.day, st.country, st.kinds, st.pending, st.suspicious, st.withdrawn, st.removed)
        for sid, st in sorted(states.items())
    ]
    # One multi-row statement per chunk: a round trip per row would cost more than the work itself.
    # SQLite caps a statement's parameters (999 on old builds), hence its smaller chunks.
    chunk = 1000 if connection.vendor == "postgresql" else 100
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} (supporter_id, {columns}) VALUES {', '.join([row] * len(part))} "  # noqa: S608  # nosec B608
                f"ON CONFLICT (supporter_id) DO UPDATE SET {updates}",
                [value for item in part for value in item],
            )


# --- Deltas ---------------------------------------------------------------------------------------------
@dataclass
class Deltas:
    buckets: Counter[BucketKey] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)

    def add_state(self, state: SupporterState, sign: int) -> None:
        if state.counted:
            assert state.day is not None
            self.buckets[(state.day, state.country, state.kinds)] += sign
            self.counters["people"] += sign
            for kind in state.kinds.split("+"):
                self.counters[f"kind:{kind}"] += sign
            self.counters[f"country:{state.country or '--'}"] += sign
        for held, n in state.held().items():
            if n:
                self.counters[f"held:{held}"] += sign * n

    def prune(self) -> None:
        self.buckets = Counter({k: v for k, v in self.buckets.items() if v})
        self.counters = Counter({k: v for k, v in self.counters.items() if v})


def _apply_deltas(deltas: Deltas) -> None:
    """Add the deltas to the aggregate rows.

    Increments upsert (ON CONFLICT works on PostgreSQL and SQLite alike); decrements are plain UPDATEs,
    since both databases check a proposed row's CHECK constraints before resolving a conflict. Rows are
    touched in sorted order, so that two writers always lock them in the same order.
    """
    deltas.prune()
    tables = (
        (TallyBucket._meta.db_table, ("day", "country", "kinds"), "count", sorted(deltas.buckets.items())),
        (TallyCounter._meta.db_table, ("key",), "value", sorted(deltas.counters.items())),
    )
    with connection.cursor() as cursor:
        for table, key_columns, column, items in tables:
            keys = ", ".join(key_columns)
            placeholders = ", ".join(["%s"] * (len(key_columns) + 1))
            ups = [(*(k if isinstance(k, tuple) else (k,)), n) for k, n in items if n > 0]
            downs = [(n, *(k if isinstance(k, tuple) else (k,))) for k, n in items if n < 0]
            if ups:
                cursor.executemany(
                    f"INSERT INTO {table} ({keys}, {column}) VALUES ({placeholders}) "  # noqa: S608  # nosec B608
                    f"ON CONFLICT ({keys}) DO UPDATE SET {column} = {table}.{column} + excluded.{column}",
                    ups,
                )
            if downs:
                where = " AND ".join(f"{c} = %s" for c in key_columns)
                cursor.executemany(f"UPDATE {table} SET {column} = {column} + %s WHERE {where}", downs)  # noqa: S608  # nosec B608
                if cursor.rowcount not in (-1, len(downs)):
                    # Only possible if the aggregates were tampered with: the nightly recount repairs.
                    logger.error(
                        "tally: %d decrement(s) on %s found no row", len(downs) - cursor.rowcount, table
                    )


# --- The job --------------------------------------------------------------------------------------------
@dataclass
class RecomputeResult:
    ran: bool
    supporters: int = 0
    changed: int = 0
    batches: int = 0
    snapshot_id: int | None = None
    published: bool = False
    duration_ms: float = 0.0


def _apply_batch(limit: int) -> tuple[int, int]:
    """Bring one batch of dirty supporters up to date, in one transaction. (supporters, changed)."""
    with transaction.atomic():
        # Each one's receipt commitment too, for the log's entries (read here, not by another query).
        commitments = dict(
            Supporter.objects.filter(tally_dirty=True)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "receipt_commitment")[:limit]
        )
        if not commitments:
            return 0, 0
        ids = list(commitments)
        desired = derive_states(_pledge_rows(ids))
        applied = _applied_states(ids)
        deltas = Deltas()
        upserts: dict[int, SupporterState] = {}
        deletes = []
        changes = []
        for sid in ids:
            want = desired.get(sid, EMPTY)
            have = applied.get(sid, EMPTY)
            if want == have:
                continue
            changes.append((sid, have, want))
            deltas.add_state(have, -1)
            deltas.add_state(want, +1)
            if want.empty:
                deletes.append(sid)
            else:
                upserts[sid] = want
        _apply_deltas(deltas)
        log_append(changes, commitments)  # the public log's +1/-1, in the aggregates' transaction
        if deletes:
            SupporterTally.objects.filter(supporter_id__in=deletes).delete()
        _store_applied_states(upserts)
        Supporter.objects.filter(id__in=ids).update(tally_dirty=False)
        return len(ids), len(upserts) + len(deletes)


def tally_recompute(*, batch_size: int = BATCH_SIZE, wait: float = 0.0) -> RecomputeResult:
    """Apply every pending change to the aggregates and publish a snapshot. Only one runs at a time:
    returns `ran=False` at once (or after `wait` seconds) if another run holds the lock."""
    started = time.perf_counter()
    with tally_lock(wait=wait) as got:
        if not got:
            return RecomputeResult(ran=False)
        result = RecomputeResult(ran=True)
        while True:
            n, changed = _apply_batch(batch_size)
            if not n:
                break
            result.supporters += n
            result.changed += changed
            result.batches += 1
            if n < batch_size:
                break
        snapshot, published = tally_snapshot_publish()
        result.snapshot_id, result.published = snapshot.id, published
    result.duration_ms = (time.perf_counter() - started) * 1000
    if result.changed:
        logger.info("tally: %d supporter(s) changed in %.0f ms", result.changed, result.duration_ms)
    return result


def _add_applied_state_to_aggregates(*, min_supporter_id: int | None = None) -> None:
    """Add the applied state of supporters (all, or those from `min_supporter_id` on) to the aggregates."""
    rows = SupporterTally.objects.all()
    if min_supporter_id is not None:
        rows = rows.filter(supporter_id__gte=min_supporter_id)
    deltas = Deltas()
    counted = rows.filter(counted=True)
    for day, country, kinds, n in (
        counted.values_list("day", "country", "kinds").annotate(n=Count("pk")).order_by()
    ):
        deltas.buckets[(day, country, kinds)] += n
        deltas.counters["people"] += n
        for kind in kinds.split("+"):
            deltas.counters[f"kind:{kind}"] += n
        deltas.counters[f"country:{country or '--'}"] += n
    held = rows.aggregate(**{state: Sum(state) for state in HELD})
    for state, n in held.items():
        deltas.counters[f"held:{state}"] += n or 0
    _apply_deltas(deltas)
