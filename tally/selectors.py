"""Reads of the tally. Requests never count rows: they read the published snapshot, from the cache, or
from the latest snapshot row when the cache (Redis) is down or cold."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import http_date

from tally.display import reported_note, reported_short, tally_display, tally_goal
from tally.merkle import EMPTY_ROOT
from tally.models import Recount, ReportedTally, TallyBucket, TallySnapshot

logger = logging.getLogger(__name__)

CACHE_KEY = "tally:current:v1"
EMPTY_LOG_ROOT = EMPTY_ROOT.hex()


def _cache_seconds() -> int:
    # With Redis every run overwrites the entry, so it can live long. The in-process cache is per
    # process: keep it short so that every web process follows the job within seconds.
    return 3600 if settings.REDIS_URL else 5


def snapshot_payload(snapshot: TallySnapshot | None) -> dict[str, Any]:
    """The public figures of a snapshot, as /api/tally serves them."""
    if snapshot is None:
        data: dict[str, Any] = {"by_kind": {}, "by_country": {}, "by_source": [], "held": {}}
        total = people = reported = 0
        updated_at = computed_at = None
    else:
        data = snapshot.data
        total, people, reported = snapshot.total, snapshot.people, snapshot.reported
        updated_at = snapshot.checked_at.isoformat()
        computed_at = snapshot.created_at.isoformat()
    goal = tally_goal(total)
    return {
        "total": total,
        "display": tally_display(total, "en"),
        "display_i18n": {code: tally_display(total, code) for code, _name in settings.LANGUAGES},
        "people": people,
        "reported": reported,
        "by_kind": data.get("by_kind", {}),
        "by_country": data.get("by_country", {}),
        "by_source": data.get("by_source", []),
        "held": data.get("held", {}),
        "log": data.get("log") or {"tree_size": 0, "root_hash": EMPTY_LOG_ROOT},
        "reported_note_i18n": {code: reported_note(reported, code) for code, _name in settings.LANGUAGES},
        "reported_short_i18n": {code: reported_short(reported, code) for code, _name in settings.LANGUAGES},
        "goal": goal,
        "goal_i18n": {code: tally_display(goal, code).rstrip("+") for code, _name in settings.LANGUAGES},
        "updated_at": updated_at,
        "computed_at": computed_at,
        # Additive keys (campaign.figures): counted supporters per alternative switched to and per
        # partner, and the estimated yearly revenue of the confirmed cancellations (null without a price).
        "switched": data.get("switched", {}),
        "by_partner": data.get("by_partner", {}),
        "estimate": data.get("estimate"),
    }


def _entry(snapshot: TallySnapshot | None) -> dict[str, Any]:
    payload = snapshot_payload(snapshot)
    body = json.dumps(payload, separators=(",", ":")).encode()
    return {
        "payload": payload,
        "body": body,
        "etag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        "last_modified": http_date(snapshot.checked_at.timestamp()) if snapshot else None,
        "checked_at": snapshot.checked_at if snapshot else None,
    }


# A per-process copy of the entry for TALLY_LOCAL_CACHE_SECONDS: under load, most requests then touch
# neither Redis nor the database (each web process asks Redis at most once per period).
_local: tuple[float, dict[str, Any]] | None = None


def _remember(entry: dict[str, Any]) -> None:
    global _local
    _local = (time.monotonic(), entry) if settings.TALLY_LOCAL_CACHE_SECONDS > 0 else None


def cache_snapshot(snapshot: TallySnapshot) -> dict[str, Any]:
    entry = _entry(snapshot)
    _remember(entry)
    try:
        cache.set(CACHE_KEY, entry, _cache_seconds())
    except Exception as exc:  # Redis down: readers fall back to the snapshot row
        logger.warning("tally: could not cache the snapshot: %s", type(exc).__name__)
    return entry


def tally_entry() -> dict[str, Any]:
    """The current published tally: one cache read; on a miss (or Redis down) one indexed row read."""
    local = _local
    if local is not None and time.monotonic() - local[0] < settings.TALLY_LOCAL_CACHE_SECONDS:
        return local[1]
    try:
        entry = cache.get(CACHE_KEY)
    except Exception:
        entry = None
        cache_up = False
    else:
        cache_up = True
    if entry is not None:
        _remember(entry)
        return entry
    snapshot = TallySnapshot.objects.order_by("-id").first()
    entry = _entry(snapshot)
    _remember(entry)
    # Cache the empty entry too (before the first run): publishing a snapshot overwrites it.
    if cache_up:
        try:
            cache.set(CACHE_KEY, entry, _cache_seconds())
        except Exception:  # noqa: S110  # nosec B110
            pass
    return entry


def tally_current() -> dict[str, Any]:
    return tally_entry()["payload"]


def tally_freshness() -> tuple[str, str]:
    """The /healthz check: "degraded" when the job has not confirmed the figures for a while."""
    try:
        checked_at = TallySnapshot.objects.order_by("-id").values_list("checked_at", flat=True).first()
    except Exception as exc:
        return "down", type(exc).__name__
    if checked_at is None:
        from pledges.models import Supporter

        if Supporter.objects.filter(tally_dirty=True).exists():
            return "degraded", "no snapshot yet, and changes are waiting: is the tally job running?"
        return "ok", "nothing to count yet"
    age = (timezone.now() - checked_at).total_seconds()
    limit = settings.TALLY_STALE_SECONDS
    if age > limit:
        return "degraded", f"snapshot is {int(age)} s old (limit {limit} s): is the tally job running?"
    return "ok", f"snapshot {int(age)} s old"


# --- History and open data ------------------------------------------------------------------------------
def daily_buckets() -> list[tuple[date, str, str, int]]:
    """(day, country, kinds, people) for every non-empty bucket, by day. No personal data."""
    return list(
        TallyBucket.objects.filter(count__gt=0)
        .order_by("day", "country", "kinds")
        .values_list("day", "country", "kinds", "count")
    )


def daily_summary() -> list[dict[str, Any]]:
    """Per day: people whose first confirmation fell that day, by kind and by country."""
    days: dict[date, dict[str, Any]] = {}
    for day, country, kinds, n in daily_buckets():
        entry = days.setdefault(
            day,
            {
                "date": day.isoformat(),
                "people": 0,
                "by_kind": defaultdict(int),
                "by_country": defaultdict(int),
            },
        )
        entry["people"] += n
        for kind in kinds.split("+"):
            entry["by_kind"][kind] += n
        entry["by_country"][country or "--"] += n
    result = []
    for day in sorted(days):
        entry = days[day]
        entry["by_kind"] = dict(sorted(entry["by_kind"].items()))
        entry["by_country"] = dict(sorted(entry["by_country"].items()))
        result.append(entry)
    return result


def daily_people(*, days: int = 60) -> list[tuple[date, int]]:
    """People per day for the last `days` days, zero-filled, ending today (UTC)."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    counts: dict[date, int] = defaultdict(int)
    rows = TallyBucket.objects.filter(day__gte=start, count__gt=0).values_list("day", "count")
    for day, n in rows:
        counts[day] += n
    return [(start + timedelta(days=i), counts[start + timedelta(days=i)]) for i in range(days)]


def latest_recount() -> Recount | None:
    return Recount.objects.order_by("-started_at").first()


def reported_tallies() -> list[ReportedTally]:
    return list(ReportedTally.objects.filter(active=True).order_by("-date", "-id"))


def people_joined_in_last_hour() -> int | None:
    """How many more people the published count holds than an hour ago, from the tally's own snapshots
    (a snapshot is written whenever the figures change, and a week of them is kept). None when that is
    not honestly known or not worth saying: no snapshot an hour old, the figures are stale (the job has
    not confirmed them for TALLY_STALE_SECONDS), or the count did not grow."""
    key = "tally:joined-last-hour"
    try:
        cached = cache.get(key)
    except Exception:
        cached = None
    if cached is not None:
        return cached or None
    now = timezone.now()
    latest = TallySnapshot.objects.order_by("-id").only("people", "checked_at").first()
    before = (
        TallySnapshot.objects.filter(created_at__lte=now - timedelta(hours=1))
        .order_by("-created_at")
        .only("people")
        .first()
    )
    joined = 0
    if latest is not None and before is not None:
        fresh = (now - latest.checked_at).total_seconds() <= settings.TALLY_STALE_SECONDS
        joined = max(latest.people - before.people, 0) if fresh else 0
    try:
        cache.set(key, joined, 60)
    except Exception:  # noqa: S110  # nosec B110
        pass
    return joined or None
