"""Reads about events and RSVPs that follow relations or combine querysets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.links import rsvp_check_cancel_token
from events.models import Event, Rsvp, RsvpStatus
from quitgpt.optin import find_by_token


def events_public_listing(*, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """Published events with their RSVP counts: (upcoming soonest first, past most recent first)."""
    now = now or timezone.now()
    base = Event.objects.published().with_rsvp_counts()
    return list(base.upcoming(now)), list(base.past(now))


def event_public_get(*, slug: str) -> Event | None:
    return Event.objects.published().with_rsvp_counts().filter(slug=slug).first()


def rsvp_by_confirm_token(*, token: str) -> Rsvp | None:
    return find_by_token(Rsvp.objects.select_related("event"), token)


def rsvp_by_cancel_link(*, pk: int, token: str) -> Rsvp | None:
    rsvp = Rsvp.objects.select_related("event").filter(pk=pk).first()
    if rsvp is None or not rsvp_check_cancel_token(rsvp=rsvp, token=token):
        return None
    return rsvp


def rsvps_of_mailboxes(*, mailboxes: Iterable[str]) -> list[Rsvp]:
    """The RSVPs of these normalised mailboxes (for "My pledges": accounts.selectors.verified_mailboxes
    says which are the signed-in person's; this app never asks accounts), with their event, upcoming events
    first (soonest first) then past ones (latest first). Each waitlisted RSVP carries `waitlist_position`
    (1: first in line; None otherwise), computed in the same query as `services.rsvp_waitlist_position`."""
    keys = sorted(set(mailboxes))
    if not keys:
        return []
    ahead = (
        Rsvp.objects.filter(
            event_id=OuterRef("event_id"),
            status=RsvpStatus.WAITLISTED,
            confirmed_at__lt=OuterRef("confirmed_at"),
        )
        .order_by()
        .values("event_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rsvps = list(
        Rsvp.objects.filter(email_normalised__in=keys)
        .select_related("event")
        .annotate(waitlist_ahead=Coalesce(Subquery(ahead), 0))
        .order_by("event__starts_at", "pk")
    )
    now = timezone.now()
    for rsvp in rsvps:
        rsvp.waitlist_position = rsvp.waitlist_ahead + 1 if rsvp.status == RsvpStatus.WAITLISTED else None
    upcoming = [r for r in rsvps if not r.event.has_ended(now)]
    past = [r for r in rsvps if r.event.has_ended(now)]
    return upcoming + past[::-1]
