"""Demo data for `make run` (load_demo_data): the campaign's own claim as a reported tally, so that a
fresh site shows "1.5M+" with its breakdown. Idempotent. Not a migration: production starts with none.

Also synthetic pledges for demos and benchmarks (`seed_demo_pledges`): `demo_pledges_seed`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, Supporter
from tally.engine import BATCH_SIZE, _add_applied_state_to_aggregates, _apply_batch, tally_recompute
from tally.lock import tally_lock
from tally.models import ReportedTally, SupporterTally
from tally.reported import reported_tally_save
from tally.snapshot import tally_snapshot_publish

logger = logging.getLogger(__name__)

CAMPAIGN_SOURCE = "QuitGPT campaign announcement"


def load() -> str:
    if not ReportedTally.objects.filter(source=CAMPAIGN_SOURCE).exists():
        reported_tally_save(
            reported=ReportedTally(
                source=CAMPAIGN_SOURCE,
                count=1_500_000,
                date=date(2026, 3, 1),
                # The figure is the campaign's claim; the exact day of the announcement is not on record
                # here, so the note says the date is approximate rather than pretend to know it.
                note=(
                    "People who cancelled or posted about cancelling, as claimed by the campaign (more than "
                    "1.5 million). Unverified; date approximate (around the 3 March protest)."
                ),
                verified=False,
            ),
            actor=None,
            reason="demo data",
        )
    result = tally_recompute(wait=10)
    return f"reported tally loaded; tally recomputed ({result.changed} supporter(s) changed)"


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
        countries = "ARRAY[" + ", ".join(f"'{c}'" for c in DEMO_COUNTRIES) + "]"
        cols, sels, params = _insert_select_sql(
            Supporter,
            {
                # Zero-padded, so that the unique indexes grow at their right edge.
                "email_normalised": f"'demo-' || lpad(g.n::text, 10, '0') || '@{DEMO_DOMAIN}'",
                "country": f"({countries})[1 + g.n %% {len(DEMO_COUNTRIES)}]",
                "language": "'en'",
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
        cols, sels, params = _insert_select_sql(
            Pledge,
            {
                "supporter": "s.id",
                "kind": "CASE WHEN g.n %% 10 < 7 THEN 'cancelled' ELSE 'shared' END",
                "email": "s.email_normalised",
                "email_normalised": "s.email_normalised",
                "share_code": "'demo' || lpad(g.n::text, 10, '0')",
                "status": "'confirmed'",
                "suspicious": "false",
                "confirmed_at": "s.created_at + interval '5 minutes'",
                "created_at": "s.created_at",
                "updated_at": "s.created_at",
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
            "SELECT p.supporter_id, true, (p.confirmed_at AT TIME ZONE 'UTC')::date, s.country, p.kind, "
            "0, 0, 0, 0 "
            f"FROM {pledge_table} p JOIN {supporter_table} s ON s.id = p.supporter_id "
            "WHERE p.supporter_id > %s AND p.email_normalised LIKE %s",
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
            [
                Supporter(email_normalised=_demo_address(n), country=DEMO_COUNTRIES[n % len(DEMO_COUNTRIES)])
                for n in numbers
            ],
            ignore_conflicts=True,
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
