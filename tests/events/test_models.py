"""Invariants the database keeps, and the time-zone rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.models import Event
from events.timezones import NonexistentLocalTime, localize
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "rumoured"},
        {"ends_at": datetime(2026, 1, 1, tzinfo=UTC), "starts_at": datetime(2026, 1, 1, 1, tzinfo=UTC)},
        {"latitude": "10.0"},
        {"latitude": "95.0", "longitude": "0"},
        {"capacity": 0},
        {"slug": "feed"},
    ],
)
def test_the_database_refuses_an_invalid_event(bad) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(**bad)


def test_an_unknown_time_zone_is_a_validation_error() -> None:
    event = make_event()
    event.timezone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError) as info:
        event.full_clean()
    assert "timezone" in info.value.message_dict
    event.timezone = "America/Los_Angeles"
    event.full_clean()


def test_local_wall_clock_times_across_daylight_saving() -> None:
    zone = "America/Los_Angeles"
    assert localize(datetime(2026, 3, 8, 1, 0), zone).astimezone(UTC) == datetime(2026, 3, 8, 9, tzinfo=UTC)
    assert localize(datetime(2026, 3, 8, 3, 0), zone).astimezone(UTC) == datetime(2026, 3, 8, 10, tzinfo=UTC)
    with pytest.raises(NonexistentLocalTime):
        localize(datetime(2026, 3, 8, 2, 30), zone)
    # 01:30 happens twice when the clocks fall back: the first one (PDT) is meant.
    assert localize(datetime(2026, 11, 1, 1, 30), zone).astimezone(UTC) == datetime(
        2026, 11, 1, 8, 30, tzinfo=UTC
    )


def test_an_event_is_past_once_it_has_ended_not_once_it_has_started() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    event = Event(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), published=True)
    assert not event.has_ended(now) and event.accepts_rsvps(now)
    assert event.has_ended(now + timedelta(hours=1)) and not event.accepts_rsvps(now + timedelta(hours=1))
