from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from events.models import Event, Rsvp, RsvpStatus

_n = count(1)


def make_event(**kwargs) -> Event:
    """A published event starting in a week unless told otherwise."""
    n = next(_n)
    start = kwargs.pop("starts_at", timezone.now() + timedelta(days=7))
    kwargs.setdefault("title", f"Action {n}")
    kwargs.setdefault("title_fr", f"Action {n} (fr)")
    kwargs.setdefault("slug", f"action-{n}")
    kwargs.setdefault("description", "Bring a sign.")
    kwargs.setdefault("ends_at", start + timedelta(hours=2))
    kwargs.setdefault("timezone", "Europe/Paris")
    kwargs.setdefault("venue", "Place de la République")
    kwargs.setdefault("city", "Paris")
    kwargs.setdefault("country", "FR")
    kwargs.setdefault("published", True)
    return Event.objects.create(starts_at=start, **kwargs)


def make_rsvp(event: Event, **kwargs) -> Rsvp:
    n = next(_n)
    kwargs.setdefault("email", f"person{n}@example.org")
    kwargs.setdefault("email_normalised", kwargs["email"].lower())
    status = kwargs.setdefault("status", RsvpStatus.PENDING)
    if status in (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED):
        kwargs.setdefault("confirmed_at", timezone.now())
    return Rsvp.objects.create(event=event, **kwargs)


def link_in(text: str, kind: str) -> str:
    """The path of the confirm or cancel link in an email's text."""
    pattern = {
        "confirm": r"https?://\S+?(/(?:fr/)?events/rsvp/confirm/[^/\s]+/)",
        "cancel": r"https?://\S+?(/(?:fr/)?events/rsvp/\d+/[0-9a-f]+/cancel/)",
    }[kind]
    match = re.search(pattern, text)
    assert match, f"no {kind} link in:\n{text}"
    return match.group(1)


# The DST change in Los Angeles: 8 March 2026, clocks go from 02:00 PST to 03:00 PDT.
DST_START_UTC = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 01:00 PST
DST_END_UTC = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # 04:00 PDT


@pytest.fixture
def same_origin() -> dict:
    return {"HTTP_SEC_FETCH_SITE": "same-origin"}
