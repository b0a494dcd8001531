"""Publishing the tally: a snapshot of the aggregates (new only when a figure changed), cached for
every read, and its history kept small."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from campaign.figures import snapshot_extras
from pledges.models import PledgeKind
from tally.log import log_sign_head, log_summary
from tally.models import HeadlineSettings, HeldState, ReportedTally, TallyCounter, TallySnapshot
from tally.rules import HELD, utc_day

PUBLIC_HELD = tuple(state for state in HELD if state != HeldState.PENDING)


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
    # Published: only what a confirmed owner or a moderator changed. Unconfirmed pledges ("pending") are
    # left out: a submission would move that figure for a new address and not for a known one.
    held = {state: counters.get(f"held:{state}", 0) for state in PUBLIC_HELD}
    reported_rows = list(
        ReportedTally.objects.filter(active=True).values(
            "id", "source", "count", "date", "kind", "evidence_url", "verified"
        )
    )
    include_unverified = HeadlineSettings.load().include_unverified_reported
    reported = sum(row["count"] for row in reported_rows if row["verified"] or include_unverified)
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
                "in_headline": row["verified"] or include_unverified,
            }
        )
    data = {"by_kind": by_kind, "by_country": by_country, "by_source": by_source, "held": held}
    data["log"] = log_summary()
    data.update(snapshot_extras(by_kind))  # switched, by_partner, estimate (campaign.figures)
    return people, reported, data


def tally_snapshot_publish() -> tuple[TallySnapshot, bool]:
    """Write a new snapshot if the figures changed, else confirm the latest one; refresh the cache.
    Returns the snapshot and whether it is new. Reads only the small counter table."""
    from tally.selectors import cache_snapshot

    log_sign_head()  # a signed head for whatever the runs appended, before the figures that cite it
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


def _prune_snapshots(*, keep_days: int = 7) -> None:
    """Keep a week of snapshots, then one a day (the last of each day), so that history stays small."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    old = TallySnapshot.objects.filter(created_at__lt=cutoff).order_by("created_at")
    last_of_day: dict[date, int] = {}
    for pk, created in old.values_list("id", "created_at"):
        last_of_day[utc_day(created)] = pk
    old.exclude(pk__in=list(last_of_day.values())).delete()
