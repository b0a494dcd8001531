"""Calendar files (parsed with icalendar), the feed, add-to-calendar links and the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from icalendar import Calendar

from events import calendars
from events.models import Event
from tests.events.conftest import DST_END_UTC, DST_START_UTC, make_event, make_rsvp

pytestmark = pytest.mark.django_db


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert not response.cookies
    return Calendar.from_ical(response.content)


def test_an_event_across_the_dst_change_keeps_its_true_two_hours_in_the_ics(client) -> None:
    event = make_event(
        title="Night vigil", starts_at=DST_START_UTC, ends_at=DST_END_UTC, timezone="America/Los_Angeles"
    )
    cal = parse(client.get(f"/events/{event.slug}.ics"))
    [vevent] = cal.walk("VEVENT")
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start == DST_START_UTC and end == DST_END_UTC
    assert start.utcoffset() == timedelta(0)  # UTC throughout, no floating time
    assert end - start == timedelta(hours=2)  # 01:00 PST to 04:00 PDT is two hours, not three
    assert b"DTSTART:20260308T090000Z" in client.get(f"/events/{event.slug}.ics").content
    assert str(vevent["SUMMARY"]) == "Night vigil"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@")
    assert str(vevent["URL"]).endswith(f"/events/{event.slug}/")
    assert cal["VERSION"] == "2.0" and "PRODID" in cal


def test_the_ics_is_language_free_with_french_on_request(client) -> None:
    event = make_event(title="Rally", title_fr="Rassemblement")
    [vevent] = parse(client.get(f"/events/{event.slug}.ics?lang=fr")).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Rassemblement"
    assert "/fr/events/" in str(vevent["URL"])
    assert client.get(f"/fr/events/{event.slug}.ics").status_code == 404


def test_the_feed_lists_every_published_event_for_subscription(client) -> None:
    make_event(title="Upcoming one")
    make_event(title="Hidden draft", published=False)
    make_event(title="Called off", status="cancelled")
    response = client.get("/events/feed.ics")
    cal = parse(response)
    by_title = {str(v["SUMMARY"]): v for v in cal.walk("VEVENT")}
    assert set(by_title) == {"Upcoming one", "Called off", "Protest outside OpenAI's headquarters"}
    assert str(by_title["Called off"]["STATUS"]) == "CANCELLED"
    seed = by_title["Protest outside OpenAI's headquarters"]
    assert seed.decoded("DTSTART") == datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
    assert "to be confirmed" in str(seed["DESCRIPTION"])
    assert "public" in response["Cache-Control"]


def test_a_change_of_time_bumps_the_sequence_so_calendars_update(client, admin_user) -> None:
    from events import services

    event = make_event()
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    services.event_update(event=event, actor=admin_user)
    [vevent] = parse(client.get(f"/events/{event.slug}.ics")).walk("VEVENT")
    assert vevent.decoded("SEQUENCE") == 1


def test_google_and_outlook_links_use_utc_across_the_dst_change() -> None:
    event = make_event(starts_at=DST_START_UTC, ends_at=DST_END_UTC, timezone="America/Los_Angeles")
    google = parse_qs(urlsplit(calendars.google_calendar_url(event, url="https://x.test/e/")).query)
    assert google["dates"] == ["20260308T090000Z/20260308T110000Z"]
    assert google["action"] == ["TEMPLATE"] and google["text"] == [event.title]
    assert "https://x.test/e/" in google["details"][0]
    outlook_url = calendars.outlook_calendar_url(event, url="https://x.test/e/")
    assert outlook_url.startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    outlook = parse_qs(urlsplit(outlook_url).query)
    assert outlook["startdt"] == ["2026-03-08T09:00:00Z"] and outlook["enddt"] == ["2026-03-08T11:00:00Z"]


def test_the_event_page_links_to_google_outlook_and_the_ics(client) -> None:
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        event = make_event(starts_at=DST_START_UTC, ends_at=DST_END_UTC, timezone="America/Los_Angeles")
        page = client.get(f"/events/{event.slug}/").content.decode()
    assert "dates=20260308T090000Z%2F20260308T110000Z" in page
    assert "startdt=2026-03-08T09%3A00%3A00Z" in page
    assert f'href="/events/{event.slug}.ics"' in page


def test_the_api_lists_published_events_as_json(client, django_assert_max_num_queries) -> None:
    event = make_event(
        title="Rally", title_fr="Rassemblement", starts_at=DST_START_UTC, ends_at=DST_END_UTC,
        timezone="America/Los_Angeles", capacity=10,
    )  # fmt: skip
    make_rsvp(event, status="confirmed")
    make_event(title="Draft", published=False)
    with django_assert_max_num_queries(2):
        response = client.get("/api/events")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"] and not response.cookies
    events = {e["slug"]: e for e in response.json()["events"]}
    assert set(events) == {event.slug, "san-francisco-protest-2026-03-03"}
    item = events[event.slug]
    assert item["starts_at"] == "2026-03-08T09:00:00Z" and item["ends_at"] == "2026-03-08T11:00:00Z"
    assert item["local_starts_at"] == "2026-03-08T01:00:00-08:00"
    assert item["local_ends_at"] == "2026-03-08T04:00:00-07:00"
    assert (item["title_fr"], item["capacity"], item["confirmed_rsvps"]) == ("Rassemblement", 10, 1)
    assert item["ics"].endswith(f"/events/{event.slug}.ics")
    seed = events["san-francisco-protest-2026-03-03"]
    assert seed["past"] is True and seed["details_to_confirm"] is True and seed["country"] == "US"
    assert response.json()["feed"].endswith("/events/feed.ics")


def test_only_published_events_have_a_calendar_file(client) -> None:
    draft = make_event(published=False)
    assert client.get(f"/events/{draft.slug}.ics").status_code == 404
    assert Event.objects.filter(slug=draft.slug).exists()


def test_it_escapes_commas_and_semicolons_in_the_event_name_per_rfc_5545(client) -> None:
    event = make_event(title="Rally, march; and vigil")
    content = client.get(f"/events/{event.slug}.ics").content
    assert b"SUMMARY:Rally\\, march\\; and vigil" in content
    [vevent] = parse(client.get(f"/events/{event.slug}.ics")).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Rally, march; and vigil"


def test_an_event_whose_time_is_to_be_confirmed_is_tentative_in_calendars(client) -> None:
    event = make_event(title="Soon", details_to_confirm=True)
    [vevent] = parse(client.get(f"/events/{event.slug}.ics")).walk("VEVENT")
    assert str(vevent["STATUS"]) == "TENTATIVE"
