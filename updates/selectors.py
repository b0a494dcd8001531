"""Who receives an update. The audience is decided here and only here (`audience_queryset`): the consent,
country and language are the person's (on Supporter), the kinds and the address come from their pledges."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from events.models import Rsvp, RsvpStatus
from pledges.models import Pledge, PledgeStatus, Supporter
from updates.models import Delivery, DeliveryState, Suppression, Update


def _counted_pledges(update: Update | None = None) -> QuerySet[Pledge]:
    pledges = Pledge.objects.filter(supporter=OuterRef("pk"), status=PledgeStatus.CONFIRMED).exclude(email="")
    if update is not None and update.kinds:
        pledges = pledges.filter(kind__in=update.kinds)
    return pledges


def audience_queryset(update: Update) -> QuerySet[Supporter]:
    """Supporters an update goes to, now: they consented to updates, have a confirmed pledge (of the chosen
    kinds), live in one of the chosen countries, are not suppressed (hard bounce, complaint), and are among
    the event's RSVPs if one is chosen. Withdrawn, erased and unsubscribed supporters fall out by
    themselves. Annotated with the address (of their latest confirmed pledge) and their language."""
    pledges = _counted_pledges(update)
    queryset = (
        Supporter.objects.filter(updates_consent=True)
        .filter(Exists(pledges))
        .exclude(Exists(Suppression.objects.filter(email_normalised=OuterRef("email_normalised"))))
        .annotate(
            recipient_email=Subquery(pledges.order_by("-pk").values("email")[:1]),
            recipient_language=F("language"),
        )
    )
    if update.countries:
        queryset = queryset.filter(country__in=update.countries)
    if update.event_id:
        queryset = queryset.filter(
            Exists(
                Rsvp.objects.filter(
                    event_id=update.event_id,
                    email_normalised=OuterRef("email_normalised"),
                    status__in=[RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED],
                )
            )
        )
    return queryset


def audience_size(update: Update) -> int:
    return audience_queryset(update).count()


def audience_by_language(update: Update) -> dict[str, int]:
    rows = audience_queryset(update).values("recipient_language").annotate(n=Count("pk")).order_by()
    return {row["recipient_language"] or settings.LANGUAGE_CODE: row["n"] for row in rows}


def audience_page_after(update: Update, *, after: int, limit: int) -> tuple[list[int], int | None]:
    """The audience among the next `limit` consenting supporters after id `after`, and the cursor to go on
    from (None at the end). Keyset pagination in two steps, each an index scan whatever the audience's
    size: the candidates by primary key, then the audience's rules on those ids only (one query over the
    whole audience "after 0" lets the planner join every pledge first: seconds at a million)."""
    candidates = list(
        Supporter.objects.filter(pk__gt=after, updates_consent=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return [], None
    ids = list(
        audience_queryset(update).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True)
    )
    return ids, candidates[-1]


def audience_ids_after(update: Update, *, after: int, limit: int) -> list[int]:
    """The next audience ids after `after` (at most `limit`; fewer where candidates fall out)."""
    return audience_page_after(update, after=after, limit=limit)[0]


def iter_audience_ids(update: Update, *, batch: int = 1000) -> Iterator[int]:
    after: int | None = 0
    while after is not None:
        ids, after = audience_page_after(update, after=after, limit=batch)
        yield from ids


def recipients(update: Update, supporter_ids: Iterable[int]) -> dict[int, Supporter]:
    """Those of `supporter_ids` still in the audience, with their address and language, read now."""
    return {s.pk: s for s in audience_queryset(update).filter(pk__in=list(supporter_ids))}


def supporters_at_weekly_cap(supporter_ids: Iterable[int], *, exclude_update: int) -> set[int]:
    """Supporters who already received UPDATES_PER_WEEK updates in the last 7 days."""
    since = timezone.now() - timedelta(days=7)
    rows = (
        Delivery.objects.filter(
            supporter_id__in=list(supporter_ids), state=DeliveryState.SENT, sent_at__gte=since
        )
        .exclude(update_id=exclude_update)
        .values("supporter_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.UPDATES_PER_WEEK)
    )
    return {row["supporter_id"] for row in rows}


def update_progress(update: Update) -> dict[str, int]:
    counts = {state: 0 for state in DeliveryState.values}
    for row in Delivery.objects.filter(update=update).values("state").annotate(n=Count("pk")).order_by():
        counts[row["state"]] = row["n"]
    return counts


def is_subscribed(supporter: Supporter) -> bool:
    return Supporter.objects.filter(pk=supporter.pk, updates_consent=True).exists()


def supporter_language(supporter: Supporter) -> str:
    return supporter.language if supporter.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
