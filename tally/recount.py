"""The nightly recount: the aggregates recomputed from scratch (set-based on PostgreSQL), compared with
the incremental ones, the drift recorded in a `Recount` and repaired."""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from pledges.models import Pledge, PledgeKind, Supporter
from tally.engine import (
    BATCH_SIZE,
    BucketKey,
    Deltas,
    _add_applied_state_to_aggregates,
    _applied_states,
    _apply_batch,
    _pledge_rows,
)
from tally.lock import tally_lock
from tally.models import Recount, SupporterTally, TallyBucket, TallyCounter
from tally.rules import COUNTED_SQL, EMPTY, HELD, HELD_SQL, derive_states, held_state
from tally.snapshot import _prune_snapshots, tally_snapshot_publish

logger = logging.getLogger(__name__)


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
            # aggregates would sort once per supporter. The country is the person's (the supporter row).
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(  # nosec B608
                f"""
                WITH agg AS (
                    SELECT p.supporter_id, min(p.confirmed_at) AS first_at, {flags}
                    FROM {table} p WHERE {COUNTED_SQL} GROUP BY p.supporter_id
                )
                SELECT (first_at AT TIME ZONE 'UTC')::date, s.country, concat_ws('+', {joined}), count(*)
                FROM agg JOIN {Supporter._meta.db_table} s ON s.id = agg.supporter_id GROUP BY 1, 2, 3
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
                "id", "supporter_id", "kind", "status", "suspicious", "supporter__country", "confirmed_at"
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

    The rule comes from `tally.rules` (`COUNTED_SQL`, `HELD_SQL`); the per-supporter part mirrors
    `derive_states`; the country is the person's (the supporter row).
    """
    kinds = sorted(PledgeKind.values)
    joined = ", ".join(f"CASE WHEN bool_or(p.kind = %s AND {COUNTED_SQL}) THEN %s END" for _ in kinds)
    held = ", ".join(f"count(*) FILTER (WHERE {HELD_SQL[state]}) AS {state}" for state in HELD)
    table, st, sup = Pledge._meta.db_table, SupporterTally._meta.db_table, Supporter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(  # nosec B608
            f"""
            WITH d AS (
                SELECT p.supporter_id,
                       bool_or({COUNTED_SQL}) AS counted,
                       (min(p.confirmed_at) FILTER (WHERE {COUNTED_SQL}) AT TIME ZONE 'UTC')::date AS day,
                       s.country AS country,
                       concat_ws('+', {joined}) AS kinds,
                       {held}
                FROM {table} p JOIN {sup} s ON s.id = p.supporter_id GROUP BY p.supporter_id, s.country
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
