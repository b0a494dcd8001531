"""The tally engine: exact, incremental, O(changes). Every write to the tally's tables lives here.

The pledges services set `Supporter.tally_dirty = True` (an UPDATE of the supporter row) in the same
transaction as any change that may alter whether or how that supporter counts. `tally_recompute`, under
a lock so that only one runs at a time, takes dirty supporters in batches (`FOR UPDATE SKIP LOCKED`),
derives each one's desired state from its pledges, diffs it against the applied state
(`SupporterTally`), applies +1/-1 to the aggregates, stores the new applied state, clears the flag and
publishes a snapshot, one transaction per batch. See CONTRIBUTING.md, "The tally", for why no lag window
is needed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from pledges.models import Pledge, PledgeKind, PledgeStatus, Supporter
from quitgpt.audit import audit_record
from tally.models import (
    HeldState,
    Recount,
    ReportedTally,
    SupporterTally,
    TallyBucket,
    TallyCounter,
    TallySnapshot,
)

logger = logging.getLogger(__name__)

LOCK_KEY = 0x7A11_7A11  # pg advisory lock id of the tally job
LOCK_CACHE_KEY = "tally:lock"
LOCK_CACHE_TTL = 600  # a crashed holder's cache lock expires (the pg lock ends with its session)
BATCH_SIZE = 5000

BucketKey = tuple[date, str, str]
# Computed once: TextChoices.values builds a new list on every access, and the batch loop is hot.
HELD = tuple(HeldState.values)
STATE_COLUMNS = ("counted", "day", "country", "kinds", *HELD)


# --- Deriving a supporter's state from its pledges -------------------------------------------------------
def held_state(status: str, suspicious: bool) -> str | None:
    """The held class of a pledge that does not count, or None if it counts.

    Mirrors `Pledge.objects.counted()` (confirmed and not suspicious); a test keeps them in step.
    """
    if status == PledgeStatus.CONFIRMED and not suspicious:
        return None
    if status == PledgeStatus.WITHDRAWN:
        return HeldState.WITHDRAWN
    if status == PledgeStatus.PENDING:
        return HeldState.SUSPICIOUS if suspicious else HeldState.PENDING
    if status == PledgeStatus.CONFIRMED:
        return HeldState.SUSPICIOUS
    return HeldState.REMOVED  # spam, and any other state that takes a pledge out of the count


@dataclass(frozen=True)
class SupporterState:
    counted: bool = False
    day: date | None = None
    country: str = ""
    kinds: str = ""
    pending: int = 0
    suspicious: int = 0
    withdrawn: int = 0
    removed: int = 0

    @property
    def empty(self) -> bool:
        return not self.counted and not (self.pending or self.suspicious or self.withdrawn or self.removed)

    def held(self) -> dict[str, int]:
        return {
            "pending": self.pending,
            "suspicious": self.suspicious,
            "withdrawn": self.withdrawn,
            "removed": self.removed,
        }


EMPTY = SupporterState()


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def derive_states(
    rows: Iterable[tuple[int, int, str, str, bool, str, datetime | None]],
) -> dict[int, SupporterState]:
    """Desired state per supporter from its pledges as (id, supporter_id, kind, status, suspicious,
    country, confirmed_at).

    A supporter counts once if at least one pledge counts; its kinds are those of its counted pledges;
    its country and day are those of its earliest counted confirmation (ties broken by pledge id).
    """
    pledges: dict[int, list[tuple[int, int, str, str, bool, str, datetime | None]]] = defaultdict(list)
    for row in rows:
        pledges[row[1]].append(row)
    states = {}
    for supporter_id, items in pledges.items():
        held: Counter[str] = Counter()
        counted = []
        for row in items:
            state = held_state(row[3], row[4])
            if state is None:
                counted.append(row)
            else:
                held[state] += 1
        if counted:
            first = min(counted, key=lambda r: (r[6], r[0]))
            states[supporter_id] = SupporterState(
                counted=True,
                day=utc_day(first[6]),
                country=first[5] or "",
                kinds="+".join(sorted({r[2] for r in counted})),
                **{k: held[k] for k in HELD},
            )
        else:
            states[supporter_id] = SupporterState(**{k: held[k] for k in HELD})
    return states


def _pledge_rows(supporter_ids: list[int]) -> list[tuple]:
    return list(
        Pledge.objects.filter(supporter_id__in=supporter_ids).values_list(
            "id", "supporter_id", "kind", "status", "suspicious", "country", "confirmed_at"
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
        ids = list(
            Supporter.objects.filter(tally_dirty=True)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return 0, 0
        desired = derive_states(_pledge_rows(ids))
        applied = _applied_states(ids)
        deltas = Deltas()
        upserts: dict[int, SupporterState] = {}
        deletes = []
        for sid in ids:
            want = desired.get(sid, EMPTY)
            have = applied.get(sid, EMPTY)
            if want == have:
                continue
            deltas.add_state(have, -1)
            deltas.add_state(want, +1)
            if want.empty:
                deletes.append(sid)
            else:
                upserts[sid] = want
        _apply_deltas(deltas)
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


# --- Snapshots ------------------------------------------------------------------------------------------
def _snapshot_figures() -> tuple[int, int, dict[str, Any]]:
    counters = dict(TallyCounter.objects.values_list("key", "value"))
    people = counters.get("people", 0)
    by_kind = {kind: counters.get(f"kind:{kind}", 0) for kind in PledgeKind.values}
    by_country = {
        key.split(":", 1)[1]: value
        for key, value in sorted(counters.items())
        if key.startswith("country:") and value
    }
    held = {state: counters.get(f"held:{state}", 0) for state in HELD}
    reported_rows = list(
        ReportedTally.objects.filter(active=True).values(
            "id", "source", "count", "date", "kind", "evidence_url", "verified"
        )
    )
    reported = sum(row["count"] for row in reported_rows)
    by_source = [{"source": "pledges", "count": people, "verified": True}]
    for row in reported_rows:
        by_source.append(
            {
                "source": row["source"],
                "count": row["count"],
                "date": row["date"].isoformat(),
                "kind": row["kind"],
                "evidence_url": row["evidence_url"],
                "verified": row["verified"],
                "reported_id": row["id"],
            }
        )
    data = {"by_kind": by_kind, "by_country": by_country, "by_source": by_source, "held": held}
    return people, reported, data


def tally_snapshot_publish() -> tuple[TallySnapshot, bool]:
    """Write a new snapshot if the figures changed, else confirm the latest one; refresh the cache.
    Returns the snapshot and whether it is new. Reads only the small counter table."""
    from tally.selectors import cache_snapshot

    people, reported, data = _snapshot_figures()
    now = timezone.now()
    latest = TallySnapshot.objects.order_by("-id").first()
    if latest is not None and (latest.people, latest.reported, latest.data) == (people, reported, data):
        TallySnapshot.objects.filter(pk=latest.pk).update(checked_at=now)
        latest.checked_at = now
        snapshot, new = latest, False
    else:
        snapshot = TallySnapshot.objects.create(
            created_at=now,
            checked_at=now,
            total=people + reported,
            people=people,
            reported=reported,
            data=data,
        )
        new = True
    cache_snapshot(snapshot)
    return snapshot, new


# --- The full recount -----------------------------------------------------------------------------------
COUNTED_SQL = "p.status = 'confirmed' AND NOT p.suspicious"


def _expected_aggregates() -> tuple[Counter[BucketKey], Counter[str]]:
    """The buckets and counters computed from scratch from the pledges (set-based on PostgreSQL).

    Supporters still dirty are taken at their applied state: their changes are pending, not drift.
    Call inside one transaction (REPEATABLE READ on PostgreSQL) so that every read sees the same data.
    """
    buckets: Counter[BucketKey] = Counter()
    held: Counter[str] = Counter()
    if connection.vendor == "postgresql":
        kinds = sorted(PledgeKind.values)
        flags = ", ".join(f"bool_or(p.kind = %s) AS k{i}" for i in range(len(kinds)))
        joined = ", ".join(f"CASE WHEN k{i} THEN %s END" for i in range(len(kinds)))
        table = Pledge._meta.db_table
        with connection.cursor() as cursor:
            # One pass over the pledges in supporter order (their index), plain aggregates only: ordered
            # aggregates would sort once per supporter. A supporter whose counted pledges name different
            # countries (rare) gets the country of its earliest one through the subquery.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(  # nosec B608
                f"""
                WITH agg AS (
                    SELECT p.supporter_id, min(p.confirmed_at) AS first_at,
                           min(p.country) AS cmin, max(p.country) AS cmax, {flags}
                    FROM {table} p WHERE {COUNTED_SQL} GROUP BY p.supporter_id
                )
                SELECT (first_at AT TIME ZONE 'UTC')::date,
                       CASE WHEN cmin = cmax THEN cmin ELSE (
                           SELECT p.country FROM {table} p WHERE p.supporter_id = agg.supporter_id
                           AND {COUNTED_SQL} ORDER BY p.confirmed_at, p.id LIMIT 1
                       ) END,
                       concat_ws('+', {joined}),
                       count(*)
                FROM agg GROUP BY 1, 2, 3
                """,  # noqa: S608  # nosec B608
                [*kinds, *kinds],
            )
            for day, country, kind_set, n in cursor.fetchall():
                buckets[(day, country or "", kind_set)] += n
            cursor.execute(
                f"SELECT p.status, p.suspicious, count(*) FROM {table} p "  # noqa: S608  # nosec B608
                f"WHERE NOT ({COUNTED_SQL}) GROUP BY p.status, p.suspicious"
            )
            for status, suspicious, n in cursor.fetchall():
                held[held_state(status, suspicious)] += n
    else:
        # SQLite (the embedded defaults, small data): the same rule in Python, through derive_states.
        states = derive_states(
            Pledge.objects.values_list(
                "id", "supporter_id", "kind", "status", "suspicious", "country", "confirmed_at"
            ).iterator(chunk_size=5000)
        )
        everyone = Deltas()
        for state in states.values():
            everyone.add_state(state, +1)
        buckets.update(everyone.buckets)
        for key, n in everyone.counters.items():
            if key.startswith("held:"):
                held[key[5:]] += n
    # Supporters still dirty (changed since the job ran): their applied state, not their desired one.
    dirty = list(Supporter.objects.filter(tally_dirty=True).values_list("id", flat=True))
    if dirty:
        correction = Deltas()
        for state in derive_states(_pledge_rows(dirty)).values():
            correction.add_state(state, -1)
        for state in _applied_states(dirty).values():
            correction.add_state(state, +1)
        buckets.update(correction.buckets)
        for key, n in correction.counters.items():
            if key.startswith("held:"):
                held[key[5:]] += n
    counters: Counter[str] = Counter({f"held:{state}": n for state, n in held.items()})
    for (_day, country, kind_set), n in buckets.items():
        counters["people"] += n
        for kind in kind_set.split("+"):
            counters[f"kind:{kind}"] += n
        counters[f"country:{country or '--'}"] += n
    return Counter({k: v for k, v in buckets.items() if v}), Counter({k: v for k, v in counters.items() if v})


def _found_aggregates() -> tuple[Counter[BucketKey], Counter[str]]:
    buckets = Counter(
        {
            (day, country, kinds): n
            for day, country, kinds, n in TallyBucket.objects.exclude(count=0).values_list(
                "day", "country", "kinds", "count"
            )
        }
    )
    counters = Counter(dict(TallyCounter.objects.exclude(value=0).values_list("key", "value")))
    return buckets, counters


def _rebuild_applied_state(*, set_based: bool | None = None) -> int:
    """Make every clean supporter's applied state equal its desired state; returns how many changed.

    Used only to repair after a drift (a change made without setting the dirty flag): marks the
    mismatched supporters dirty so that the next batches re-derive them, then rebuilds the aggregates
    from the applied state.
    """
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if set_based:
        return _mark_mismatched_postgres()
    mismatched = []
    last = Supporter.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # By id ranges, so that memory stays flat whatever the number of supporters.
    for start in range(0, last + 1, BATCH_SIZE):
        chunk = list(
            Supporter.objects.filter(tally_dirty=False, id__gte=start, id__lt=start + BATCH_SIZE).values_list(
                "id", flat=True
            )
        )
        if not chunk:
            continue
        desired = derive_states(_pledge_rows(chunk))
        applied = _applied_states(chunk)
        mismatched += [sid for sid in chunk if desired.get(sid, EMPTY) != applied.get(sid, EMPTY)]
    if mismatched:
        for start in range(0, len(mismatched), BATCH_SIZE):
            Supporter.objects.filter(id__in=mismatched[start : start + BATCH_SIZE]).update(tally_dirty=True)
    return len(mismatched)


def _mark_mismatched_postgres() -> int:
    """Set-based `_rebuild_applied_state`: one pass over the pledges, a full join with the applied state.

    Mirrors `held_state` and `derive_states`. A supporter whose counted pledges name several countries is
    always re-derived (the rule needs its earliest pledge): harmless, it is only marked dirty.
    """
    kinds = sorted(PledgeKind.values)
    joined = ", ".join(f"CASE WHEN bool_or(p.kind = %s AND {COUNTED_SQL}) THEN %s END" for _ in kinds)
    table, st, sup = Pledge._meta.db_table, SupporterTally._meta.db_table, Supporter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(  # nosec B608
            f"""
            WITH d AS (
                SELECT p.supporter_id,
                       bool_or({COUNTED_SQL}) AS counted,
                       (min(p.confirmed_at) FILTER (WHERE {COUNTED_SQL}) AT TIME ZONE 'UTC')::date AS day,
                       CASE WHEN min(p.country) FILTER (WHERE {COUNTED_SQL})
                                 = max(p.country) FILTER (WHERE {COUNTED_SQL})
                            THEN min(p.country) FILTER (WHERE {COUNTED_SQL}) ELSE '?' END AS country,
                       concat_ws('+', {joined}) AS kinds,
                       count(*) FILTER (WHERE p.status = 'pending' AND NOT p.suspicious) AS pending,
                       count(*) FILTER (WHERE p.status IN ('pending','confirmed') AND p.suspicious)
                           AS suspicious,
                       count(*) FILTER (WHERE p.status = 'withdrawn') AS withdrawn,
                       count(*) FILTER (WHERE p.status NOT IN ('pending','confirmed','withdrawn'))
                           AS removed
                FROM {table} p GROUP BY p.supporter_id
            ), m AS (
                SELECT coalesce(d.supporter_id, t.supporter_id) AS id
                FROM d FULL JOIN {st} t ON t.supporter_id = d.supporter_id
                WHERE (coalesce(d.counted, false), CASE WHEN d.counted THEN d.day END,
                       CASE WHEN d.counted THEN d.country ELSE '' END, coalesce(d.kinds, ''),
                       coalesce(d.pending, 0), coalesce(d.suspicious, 0), coalesce(d.withdrawn, 0),
                       coalesce(d.removed, 0))
                      IS DISTINCT FROM
                      (coalesce(t.counted, false), t.day, coalesce(t.country, ''), coalesce(t.kinds, ''),
                       coalesce(t.pending, 0), coalesce(t.suspicious, 0), coalesce(t.withdrawn, 0),
                       coalesce(t.removed, 0))
            )
            UPDATE {sup} SET tally_dirty = true FROM m WHERE {sup}.id = m.id AND NOT {sup}.tally_dirty
            """,  # noqa: S608  # nosec B608
            [value for kind in kinds for value in (kind, kind)],
        )
        return cursor.rowcount


def _aggregates_from_applied_state() -> None:
    """Rewrite buckets and counters as the sum of the applied state (the job's own bookkeeping).

    Set-based (portable SQL): it runs after a repair and after seeding millions of demo pledges.
    """
    TallyBucket.objects.all().delete()
    TallyCounter.objects.all().delete()
    _add_applied_state_to_aggregates()


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


def _diff(expected: Counter, found: Counter) -> dict[str, int]:
    keys = set(expected) | set(found)
    return {
        "|".join(str(part) for part in (key if isinstance(key, tuple) else (key,))): found[key]
        - expected[key]
        for key in keys
        if found[key] != expected[key]
    }


def tally_recount(*, repair: bool = True, wait: float = 30.0) -> Recount | None:
    """Recount from scratch, compare with the incremental aggregates, record the drift and repair.

    Runs under the job's lock, after applying pending changes, so that the comparison is exact.
    Returns None if the lock could not be taken within `wait` seconds.
    """
    with tally_lock(wait=wait) as got:
        if not got:
            return None
        started_at = timezone.now()
        t0 = time.perf_counter()
        while _apply_batch(BATCH_SIZE)[0]:
            pass
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                # One consistent view of pledges, flags and aggregates for the comparison.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            expected_buckets, expected_counters = _expected_aggregates()
            found_buckets, found_counters = _found_aggregates()
        bucket_diff = _diff(expected_buckets, found_buckets)
        counter_diff = _diff(expected_counters, found_counters)
        recount = Recount(
            started_at=started_at,
            expected_people=expected_counters["people"],
            found_people=found_counters["people"],
            drift=found_counters["people"] - expected_counters["people"],
            mismatched_buckets=len(bucket_diff),
            mismatched_counters=len(counter_diff),
            details={"buckets": dict(list(bucket_diff.items())[:50]), "counters": counter_diff},
        )
        if (bucket_diff or counter_diff) and repair:
            logger.error(
                "tally drift: people found %d, expected %d; %d bucket(s), %d counter(s) off; repairing",
                recount.found_people,
                recount.expected_people,
                len(bucket_diff),
                len(counter_diff),
            )
            with transaction.atomic():
                recount.details["supporters_rederived"] = _rebuild_applied_state()
            while _apply_batch(BATCH_SIZE)[0]:
                pass
            with transaction.atomic():
                _aggregates_from_applied_state()
            recount.repaired = True
        elif bucket_diff or counter_diff:
            logger.error("tally drift found (not repaired): %s", counter_diff)
        recount.finished_at = timezone.now()
        recount.duration_ms = int((time.perf_counter() - t0) * 1000)
        recount.save()
        tally_snapshot_publish()
        _prune_snapshots()
        return recount


def _prune_snapshots(*, keep_days: int = 7) -> None:
    """Keep a week of snapshots, then one a day (the last of each day), so that history stays small."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    old = TallySnapshot.objects.filter(created_at__lt=cutoff).order_by("created_at")
    last_of_day: dict[date, int] = {}
    for pk, created in old.values_list("id", "created_at"):
        last_of_day[utc_day(created)] = pk
    old.exclude(pk__in=list(last_of_day.values())).delete()


# --- Reported tallies -----------------------------------------------------------------------------------
def _publish_after_commit() -> None:
    from tally.tasks import recompute_tally

    transaction.on_commit(lambda: recompute_tally.delay())


def reported_tally_save(*, reported: ReportedTally, actor: Any, reason: str = "") -> ReportedTally:
    """Create or update an organiser's reported tally, audited; the headline follows after commit."""
    creating = reported.pk is None
    with transaction.atomic():
        if creating and actor is not None and getattr(actor, "is_authenticated", False):
            reported.entered_by = actor
        reported.full_clean()
        reported.save()
        audit_record(
            actor=actor,
            action="tally.reported_create" if creating else "tally.reported_update",
            target=reported,
            reason=reason,
            details={
                "source": reported.source,
                "count": reported.count,
                "date": reported.date.isoformat(),
                "verified": reported.verified,
                "active": reported.active,
                "evidence_url": reported.evidence_url,
            },
        )
        _publish_after_commit()
    return reported


def reported_tally_delete(*, reported: ReportedTally, actor: Any, reason: str = "") -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="tally.reported_delete",
            target=reported,
            reason=reason,
            details={"source": reported.source, "count": reported.count},
        )
        reported.delete()
        _publish_after_commit()


# --- Synthetic pledges for demos and benchmarks ---------------------------------------------------------
DEMO_DOMAIN = "demo.quitgpt.invalid"
# Addresses on reserved names (RFC 2606/6761) cannot be anyone's mailbox: demo and test data only.
RESERVED_SUFFIXES = (
    ".invalid",
    ".test",
    ".example",
    ".localhost",
    "@example.com",
    "@example.org",
    "@example.net",
)
DEMO_COUNTRIES = ("US", "GB", "FR", "DE", "CA", "AU", "NL", "ES", "IT", "SE", "")


class RealPledgesPresent(Exception):
    """The database holds pledges from real addresses: seeding needs an explicit --force."""


def real_pledges_exist() -> bool:
    reserved = Q()
    for suffix in RESERVED_SUFFIXES:
        reserved |= Q(email_normalised__endswith=suffix)
    return Pledge.objects.exclude(reserved).exists()


@dataclass
class SeedResult:
    created: int
    seconds: float
    total: int


def demo_pledges_seed(*, count: int, force: bool = False, days: int = 30) -> SeedResult:
    """Create `count` synthetic confirmed pledges (one supporter each, on DEMO_DOMAIN), spread over the
    last `days` days, and bring the tally up to date set-based. Refuses a database with real pledges
    unless `force`."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if not force and real_pledges_exist():
        raise RealPledgesPresent("this database holds real pledges; use --force to add demo pledges anyway")
    started = time.perf_counter()
    with tally_lock(wait=60) as got:
        if not got:
            raise RuntimeError("the tally job holds the lock; try again")
        if connection.vendor == "postgresql":
            created = _seed_postgres(count=count, days=days)
        else:
            created = _seed_orm(count=count, days=days)
        snapshot, _new = tally_snapshot_publish()
    return SeedResult(created=created, seconds=time.perf_counter() - started, total=snapshot.total)


def _demo_address(n: int) -> str:
    return f"demo-{n:010d}@{DEMO_DOMAIN}"


def _next_demo_number() -> int:
    return Supporter.objects.filter(email_normalised__endswith="@" + DEMO_DOMAIN).count() + 1


def _insert_select_sql(model: type, exprs: dict[str, str], now: datetime) -> tuple[str, str, list[Any]]:
    """Column list and SELECT list for INSERT ... SELECT into `model`: the given SQL expressions, and
    every other column at its model default (so that fields added later keep working)."""
    columns, selects, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.name not in exprs:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.name in exprs:
            selects.append(exprs[f.name])
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        else:
            value = f.get_default()
        selects.append("%s")
        params.append(f.get_db_prep_save(value, connection))
    return ", ".join(columns), ", ".join(selects), params


def _seed_postgres(*, count: int, days: int) -> int:
    t0 = time.perf_counter()
    now = timezone.now()
    first = _next_demo_number()
    span = max(days, 1) * 86400
    supporter_table, pledge_table = Supporter._meta.db_table, Pledge._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {supporter_table}")  # noqa: S608  # nosec B608
        floor = cursor.fetchone()[0]
        # Times rise with n (so that every index on them is appended to, not written all over), faster
        # towards now, like a campaign that grows: t = start + span * sqrt(i / count).
        when = (
            f"('{now.isoformat()}'::timestamptz - interval '{span} seconds' "
            f"+ sqrt((g.n - {first})::float / {count}) * interval '{span} seconds')"
        )
        cols, sels, params = _insert_select_sql(
            Supporter,
            {
                # Zero-padded, so that the unique indexes grow at their right edge.
                "email_normalised": f"'demo-' || lpad(g.n::text, 10, '0') || '@{DEMO_DOMAIN}'",
                "tally_dirty": "false",
                "created_at": when,
                "updated_at": when,
            },
            now,
        )
        cursor.execute(
            f"INSERT INTO {supporter_table} ({cols}) SELECT {sels} "  # noqa: S608  # nosec B608
            f"FROM generate_series(%s::bigint, %s::bigint) AS g(n) ON CONFLICT DO NOTHING",
            [*params, first, first + count - 1],
        )
        created = cursor.rowcount
        logger.info("seed: %d supporters in %.1f s", created, time.perf_counter() - t0)
        countries = "ARRAY[" + ", ".join(f"'{c}'" for c in DEMO_COUNTRIES) + "]"
        cols, sels, params = _insert_select_sql(
            Pledge,
            {
                "supporter": "s.id",
                "kind": "CASE WHEN g.n %% 10 < 7 THEN 'cancelled' ELSE 'shared' END",
                "email": "s.email_normalised",
                "email_normalised": "s.email_normalised",
                "country": f"({countries})[1 + g.n %% {len(DEMO_COUNTRIES)}]",
                "share_code": "'demo' || lpad(g.n::text, 10, '0')",
                "status": "'confirmed'",
                "suspicious": "false",
                "confirmed_at": "s.created_at + interval '5 minutes'",
                "created_at": "s.created_at",
                "updated_at": "s.created_at",
                "language": "'en'",
            },
            now,
        )
        cursor.execute(
            f"INSERT INTO {pledge_table} ({cols}) SELECT {sels} FROM {supporter_table} s "  # noqa: S608  # nosec B608
            "CROSS JOIN LATERAL "
            "(SELECT split_part(split_part(s.email_normalised, '@', 1), '-', 2)::bigint AS n) g "
            f"WHERE s.id > %s AND s.email_normalised LIKE %s",
            [*params, floor, f"demo-%@{DEMO_DOMAIN}"],
        )
        logger.info("seed: pledges in %.1f s", time.perf_counter() - t0)
        # Their applied state, then the aggregates, set-based: each demo supporter has one counted pledge.
        cursor.execute(
            f"INSERT INTO {SupporterTally._meta.db_table} "  # noqa: S608  # nosec B608
            "(supporter_id, counted, day, country, kinds, pending, suspicious, withdrawn, removed) "
            "SELECT p.supporter_id, true, (p.confirmed_at AT TIME ZONE 'UTC')::date, p.country, p.kind, "
            "0, 0, 0, 0 "
            f"FROM {pledge_table} p WHERE p.supporter_id > %s AND p.email_normalised LIKE %s",
            [floor, f"demo-%@{DEMO_DOMAIN}"],
        )
        _add_applied_state_to_aggregates(min_supporter_id=floor + 1)
        logger.info("seed: %d rows written in %.1f s; committing", created, time.perf_counter() - t0)
    with connection.cursor() as cursor:
        # Fresh statistics, so that the planner knows the tables grew by millions (autovacuum may lag).
        cursor.execute(f"ANALYZE {supporter_table}, {pledge_table}, {SupporterTally._meta.db_table}")
    logger.info("seed: done in %.1f s", time.perf_counter() - t0)
    return created


def _seed_orm(*, count: int, days: int) -> int:
    """The same on SQLite (embedded defaults): small demos; the job derives their state."""
    now = timezone.now()
    first = _next_demo_number()
    span = max(days, 1) * 86400
    created = 0
    for start in range(first, first + count, 5000):
        numbers = range(start, min(start + 5000, first + count))
        supporters = Supporter.objects.bulk_create(
            [Supporter(email_normalised=_demo_address(n)) for n in numbers], ignore_conflicts=True
        )
        ids = dict(
            Supporter.objects.filter(
                email_normalised__in=[s.email_normalised for s in supporters]
            ).values_list("email_normalised", "id")
        )
        pledges = []
        for n in numbers:
            address = _demo_address(n)
            moment = now - timedelta(seconds=span * (1 - ((n - first) / count) ** 0.5))
            pledges.append(
                Pledge(
                    supporter_id=ids[address],
                    kind="cancelled" if n % 10 < 7 else "shared",
                    email=address,
                    email_normalised=address,
                    country=DEMO_COUNTRIES[n % len(DEMO_COUNTRIES)],
                    share_code=f"demo{n:010d}",
                    status=PledgeStatus.CONFIRMED,
                    confirmed_at=moment + timedelta(minutes=5),
                    created_at=moment,
                )
            )
        Pledge.objects.bulk_create(pledges, ignore_conflicts=True)
        created += len(numbers)
    while _apply_batch(BATCH_SIZE)[0]:
        pass
    return created
