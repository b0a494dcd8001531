"""The public pages: upcoming before past, the seeded protest, time zones, JSON-LD, cookie-free."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from events.models import Event
from tests.events.conftest import DST_END_UTC, DST_START_UTC, make_event, make_rsvp

pytestmark = pytest.mark.django_db

SEED = "san-francisco-protest-2026-03-03"


def text(response) -> str:
    return html.unescape(response.content.decode())


def json_ld(response) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_the_seeded_protest_is_recorded_without_invented_details() -> None:
    event = Event.objects.get(slug=SEED)
    assert (event.city, str(event.country), event.timezone) == ("San Francisco", "US", "America/Los_Angeles")
    assert (event.status, event.published, event.details_to_confirm) == ("scheduled", True, True)
    assert event.local_starts_at.date().isoformat() == "2026-03-03"
    assert event.address == "" and event.organiser_contact == "" and event.latitude is None
    assert "QuitGPT" in event.description and "OpenAI" in event.title


def test_the_seeded_protest_is_past_now_and_offers_no_rsvp(client) -> None:
    with time_machine.travel(datetime(2026, 11, 29, tzinfo=UTC), tick=False):
        response = client.get(f"/events/{SEED}/")
    page = text(response)
    assert response.status_code == 200
    assert "This event has ended." in page
    assert "Time and exact place to be confirmed by the organisers." in page
    assert "Tuesday 3 March 2026, 12:00 PST" in page
    assert "<form" not in page.split("<main", 1)[1]


def test_before_it_happened_the_seeded_protest_offered_rsvp(client) -> None:
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        page = text(client.get(f"/events/{SEED}/"))
        listing = text(client.get("/events/"))
    assert 'action="/events/san-francisco-protest-2026-03-03/rsvp/"' in page
    assert "This event has ended." not in page
    assert "Past events" not in listing


def test_the_list_shows_upcoming_events_soonest_first_then_past_ones_marked_past(
    client, django_assert_max_num_queries
) -> None:
    now = timezone.now()
    later = make_event(title="Later march", starts_at=now + timedelta(days=9))
    sooner = make_event(title="Sooner vigil", starts_at=now + timedelta(days=2))
    ongoing = make_event(title="Ongoing sit-in", starts_at=now - timedelta(hours=1))
    recent = make_event(title="Recent rally", starts_at=now - timedelta(days=3))
    make_event(title="Draft", published=False)
    make_rsvp(sooner, status="confirmed")
    with django_assert_max_num_queries(3):
        response = client.get("/events/")
    page = text(response)
    upcoming, past = page.split("Past events")
    order = [upcoming.index(e.title) for e in (ongoing, sooner, later)]
    assert order == sorted(order)
    assert "Past" not in upcoming.split("<main", 1)[1].replace("Past events", "")
    assert past.index(recent.title) < past.index("Protest outside OpenAI's headquarters")
    assert past.count('class="badge badge-past"') == 2
    assert "Draft" not in page
    assert "1 person confirmed" in upcoming


def test_public_pages_set_no_cookie_and_are_cacheable(client) -> None:
    event = make_event()
    for path in ("/events/", f"/events/{event.slug}/", "/fr/events/", f"/fr/events/{event.slug}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies, path
        assert "public" in response["Cache-Control"]
        assert 'name="csrfmiddlewaretoken"' not in response.content.decode()


def test_an_event_across_the_daylight_saving_change_shows_both_local_times(client) -> None:
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        event = make_event(starts_at=DST_START_UTC, ends_at=DST_END_UTC, timezone="America/Los_Angeles")
        page = text(client.get(f"/events/{event.slug}/"))
    assert "Sunday 8 March 2026, 01:00 PST" in page
    assert "04:00 PDT" in page
    assert '<time datetime="2026-03-08T01:00:00-08:00">' in page
    assert '<time datetime="2026-03-08T04:00:00-07:00">' in page
    assert "Local time of the event (America/Los_Angeles)." in page


def test_the_event_page_carries_schema_org_json_ld(client) -> None:
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        event = make_event(
            title="Rally </script><script>alert(1)</script>",
            starts_at=DST_START_UTC,
            ends_at=DST_END_UTC,
            timezone="America/Los_Angeles",
            latitude="37.768300",
            longitude="-122.389300",
            address="1 Example Street",
            capacity=50,
        )
        response = client.get(f"/events/{event.slug}/")
    assert "</script><script>alert(1)" not in response.content.decode()
    data = json_ld(response)
    assert data["@type"] == "Event" and data["name"] == event.title
    assert data["startDate"] == "2026-03-08T01:00:00-08:00"
    assert data["endDate"] == "2026-03-08T04:00:00-07:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["location"]["address"]["streetAddress"] == "1 Example Street"
    assert data["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 37.7683, "longitude": -122.3893}
    assert data["url"].endswith(f"/events/{event.slug}/")
    assert data["maximumAttendeeCapacity"] == 50


def test_a_cancelled_event_says_so_everywhere(client) -> None:
    event = make_event(status="cancelled")
    response = client.get(f"/events/{event.slug}/")
    assert json_ld(response)["eventStatus"] == "https://schema.org/EventCancelled"
    assert "This event is cancelled." in text(response)
    assert "<form" not in text(response).split("<main", 1)[1]


def test_the_map_is_a_link_to_openstreetmap_and_nothing_is_embedded(client) -> None:
    with_coordinates = make_event(latitude="48.867500", longitude="2.363600")
    without = make_event(venue="Town hall", city="Lyon")
    page = client.get(f"/events/{with_coordinates.slug}/").content.decode()
    assert (
        'href="https://www.openstreetmap.org/?mlat=48.867500&amp;mlon=2.363600#map=17/48.867500/2.363600"'
        in page
    )
    assert "<iframe" not in page
    loaded = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", page)
    for tag in loaded:
        if re.match(r'<link rel="(?:canonical|alternate)"', tag):
            continue  # this page's own addresses, nothing loaded
        assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", tag), tag
    other = client.get(f"/events/{without.slug}/").content.decode()
    assert "https://www.openstreetmap.org/search?query=Town+hall%2C+Lyon%2C+France" in other


def test_the_french_page_shows_the_french_title_and_local_time_in_french(client) -> None:
    with time_machine.travel(datetime(2026, 11, 29, tzinfo=UTC), tick=False):
        page = text(client.get(f"/fr/events/{SEED}/"))
    assert "Manifestation devant le siège d'OpenAI" in page
    assert "mardi 3 mars 2026" in page
    assert "Passé" in page


def test_an_unknown_event_is_a_404(client) -> None:
    assert client.get("/events/no-such-event/").status_code == 404
    assert client.get("/events/no-such-event.ics").status_code == 404
