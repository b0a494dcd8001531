"""Reads about events and RSVPs that follow relations or combine querysets."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from events.models import Event, Rsvp
from events.services import rsvp_check_cancel_token
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
