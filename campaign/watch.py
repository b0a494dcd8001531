"""The fraud watch: concentrations of pledges, holding without a person, alerts to campaign admins.

Holding in the common case needs nobody:
- a per-IP flood flag (pledges.abuse) holds a pledge only until its own mailbox confirms it: 200 people
  behind one carrier address, each confirming their own mailbox, count as soon as they confirm;
- a *small* email domain (not a large shared provider, not trusted by the organisers) with many people in
  24 hours is a catch-all that one actor controls: its pledges are held (`suspicious`) at confirmation,
  and the periodic run holds those confirmed before the domain crossed the threshold.
Organisers see the concentrations in the admin (Fraud watch), are emailed once per crossing, and can
invalidate in bulk from there, or trust a domain in the campaign settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaign.models import CampaignSettings, PledgeSource, WatchAlert, WatchKind
from campaign.sources import large_providers
from pledges.abuse import is_tombstoned
from pledges.models import COUNTED_STATUS, Pledge, PledgeStatus, Supporter
from pledges.supporters import _mark_dirty
from quitgpt.audit import audit_record
from quitgpt.mail import send_templated_email

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
USUAL_DAYS = 7


def _small(domain: str, config: CampaignSettings) -> bool:
    return bool(domain) and domain not in large_providers() and domain not in config.trusted_domains()


def domain_people(domain: str, *, since: datetime) -> int:
    """Distinct people with a pledge on `domain` (its registrable part) since `since` (indexed)."""
    return (
        PledgeSource.objects.filter(domain=domain, created_at__gte=since)
        .values("supporter_id")
        .distinct()
        .count()
    )


def concentrated_domains(
    *, now: datetime | None = None, config: CampaignSettings | None = None
) -> dict[str, int]:
    """Small domains with at least the threshold of people in the last 24 hours."""
    config = config or CampaignSettings.load()
    since = (now or timezone.now()) - WINDOW
    rows = (
        PledgeSource.objects.filter(created_at__gte=since)
        .exclude(domain="")
        .values("domain")
        .annotate(people=Count("supporter_id", distinct=True))
        .filter(people__gte=config.watch_domain_threshold)
    )
    return {row["domain"]: row["people"] for row in rows if _small(row["domain"], config)}


# --- Holding ----------------------------------------------------------------------------------------------
def watch_settle_confirmed(*, supporter_id: int, releasable_ids: Iterable[int] | None = None) -> str:
    """Decide, when a supporter's mailbox confirms, whether its confirmed pledges are held.

    Held if one of its pledges comes from a concentrated small domain; otherwise a per-IP flood flag is
    lifted (confirming their own mailbox is what tells a person from a script). Only that flag: a
    suspicion that survived a withdrawal (pass `releasable_ids`, the pledges confirmed for the first
    time) and the hold of a spam-tombstoned mailbox stay until a moderator clears them. Returns "held",
    "released" or "". Call in the confirming transaction."""
    config = CampaignSettings.load()
    since = timezone.now() - WINDOW
    domains = set(PledgeSource.objects.filter(supporter_id=supporter_id).values_list("domain", flat=True))
    concentrated = any(
        _small(d, config) and domain_people(d, since=since) >= config.watch_domain_threshold for d in domains
    )
    confirmed = Pledge.objects.filter(supporter_id=supporter_id, status=COUNTED_STATUS)
    if concentrated:
        changed = confirmed.filter(suspicious=False).update(suspicious=True)
        outcome = "held"
    else:
        releasable = confirmed.filter(suspicious=True)
        if releasable_ids is not None:
            releasable = releasable.filter(pk__in=list(releasable_ids))
        key = Supporter.objects.filter(pk=supporter_id).values_list("email_normalised", flat=True).first()
        changed = 0 if key and is_tombstoned(key) else releasable.update(suspicious=False)
        outcome = "released"
    if changed:
        _mark_dirty([supporter_id])
        return outcome
    return ""


def watch_hold_concentrations(*, now: datetime | None = None) -> int:
    """Hold the counted pledges of every concentrated small domain from the last 24 hours (those confirmed
    before it crossed the threshold). Audited as the system. Returns how many pledges were held."""
    now = now or timezone.now()
    held = 0
    for domain, people in concentrated_domains(now=now).items():
        with transaction.atomic():
            pledge_ids = PledgeSource.objects.filter(domain=domain, created_at__gte=now - WINDOW).values(
                "pledge_id"
            )
            targets = Pledge.objects.filter(pk__in=pledge_ids, status=COUNTED_STATUS, suspicious=False)
            supporter_ids = list(targets.values_list("supporter_id", flat=True))
            n = targets.update(suspicious=True)
            if n:
                _mark_dirty(supporter_ids)
                audit_record(
                    actor=None,
                    action="watch.hold_domain",
                    reason=f"{people} people on a small domain in 24 hours",
                    details={"domain": domain, "people": people, "pledges": n},
                )
            held += n
    return held


# --- What the dashboard shows ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    key: str
    pledges: int
    people: int
    confirmed: int
    over: bool = False


def _rows(
    field: str, since: datetime, threshold: int, *, limit: int = 20, small_only: Any = None
) -> list[Row]:
    qs = (
        PledgeSource.objects.filter(created_at__gte=since)
        .exclude(**{field: ""})
        .values(field)
        .annotate(
            n=Count("pledge_id"),
            people=Count("supporter_id", distinct=True),
            confirmed=Count("pledge_id", filter=Q(pledge__status=PledgeStatus.CONFIRMED)),
        )
        .order_by("-people", field)[: limit * 3]
    )
    rows = []
    for row in qs:
        if small_only is not None and not small_only(row[field]):
            continue
        rows.append(Row(row[field], row["n"], row["people"], row["confirmed"], row["people"] >= threshold))
    return rows[:limit]


def hourly_rates(*, now: datetime | None = None) -> tuple[int, float]:
    """Pledges in the last hour, and the usual hourly rate (the mean over the 7 days before it)."""
    now = now or timezone.now()
    last_hour = PledgeSource.objects.filter(created_at__gte=now - timedelta(hours=1)).count()
    before = PledgeSource.objects.filter(
        created_at__gte=now - timedelta(days=USUAL_DAYS, hours=1), created_at__lt=now - timedelta(hours=1)
    ).count()
    return last_hour, before / (USUAL_DAYS * 24)


def watch_dashboard(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    config = CampaignSettings.load()
    since = now - WINDOW
    last_hour, usual = hourly_rates(now=now)
    return {
        "domains": _rows(
            "domain", since, config.watch_domain_threshold, small_only=lambda d: _small(d, config)
        ),
        "ip_prefixes": _rows("ip_prefix_hash", since, config.watch_ip_prefix_threshold),
        "countries": _rows("country", now - timedelta(hours=1), config.watch_country_threshold),
        "last_hour": last_hour,
        "usual_hourly": round(usual, 1),
        "hourly_over": _hourly_over(last_hour, usual, config),
        "config": config,
        "alerts": list(WatchAlert.objects.all()[:50]),
        "since": since,
    }


def _hourly_over(last_hour: int, usual: float, config: CampaignSettings) -> bool:
    return last_hour >= config.watch_hourly_minimum and last_hour >= config.watch_hourly_factor * max(
        usual, 1.0
    )


# --- Alerts -------------------------------------------------------------------------------------------------
def current_crossings(*, now: datetime | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """(kind, key) -> (count, threshold) for every threshold crossed now."""
    now = now or timezone.now()
    config = CampaignSettings.load()
    crossings: dict[tuple[str, str], tuple[int, int]] = {}
    for domain, people in concentrated_domains(now=now, config=config).items():
        crossings[(WatchKind.DOMAIN, domain)] = (people, config.watch_domain_threshold)
    for row in _rows("ip_prefix_hash", now - WINDOW, config.watch_ip_prefix_threshold, limit=100):
        if row.over:
            crossings[(WatchKind.IP_PREFIX, row.key)] = (row.people, config.watch_ip_prefix_threshold)
    for row in _rows("country", now - timedelta(hours=1), config.watch_country_threshold, limit=300):
        if row.over:
            crossings[(WatchKind.COUNTRY, row.key)] = (row.people, config.watch_country_threshold)
    last_hour, usual = hourly_rates(now=now)
    if _hourly_over(last_hour, usual, config):
        crossings[(WatchKind.HOURLY, "all")] = (last_hour, config.watch_hourly_minimum)
    return crossings


def watch_alerts_update(*, now: datetime | None = None) -> list[int]:
    """Open an alert for each new crossing, close those no longer crossed. Returns the new alerts' ids."""
    now = now or timezone.now()
    crossings = current_crossings(now=now)
    opened = []
    open_alerts = {(a.kind, a.key): a for a in WatchAlert.objects.filter(closed_at__isnull=True)}
    for (kind, key), alert in open_alerts.items():
        if (kind, key) not in crossings:
            WatchAlert.objects.filter(pk=alert.pk, closed_at__isnull=True).update(closed_at=now)
        else:
            WatchAlert.objects.filter(pk=alert.pk).update(count=crossings[(kind, key)][0])
    for (kind, key), (count, threshold) in crossings.items():
        if (kind, key) in open_alerts:
            continue
        try:
            with transaction.atomic():
                alert = WatchAlert.objects.create(
                    kind=kind, key=key, count=count, threshold=threshold, opened_at=now
                )
        except IntegrityError:  # another run opened it first
            continue
        opened.append(alert.pk)
    return opened


def campaign_admin_addresses() -> list[str]:
    from accounts.roles import CAMPAIGN_ADMIN

    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=CAMPAIGN_ADMIN) | Q(is_superuser=True))
    )
    return sorted({u.email for u in users if u.email})


def watch_alerts_notify() -> int:
    """Email each alert not yet notified to the campaign admins, once (a conditional claim). Returns how
    many alerts were sent."""
    sent = 0
    recipients = campaign_admin_addresses()
    for alert in WatchAlert.objects.filter(notified_at__isnull=True).order_by("pk"):
        now = timezone.now()
        if not WatchAlert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(notified_at=now):
            continue  # another sender claimed it
        try:
            for address in recipients:
                send_templated_email(
                    template="campaign/email/watch_alert", to=address, context={"alert": alert}, language="en"
                )
        except Exception:
            WatchAlert.objects.filter(pk=alert.pk, notified_at=now).update(notified_at=None)
            logger.exception("fraud watch: could not email alert %s; the next run retries", alert.pk)
            continue
        sent += 1
    return sent


def watch_run() -> dict[str, int]:
    """The periodic run: hold concentrations, update the alerts, email the new ones."""
    held = watch_hold_concentrations()
    opened = watch_alerts_update()
    notified = watch_alerts_notify()
    return {"held": held, "opened": len(opened), "notified": notified}
