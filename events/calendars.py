"""Calendars, maps and structured data for events: .ics (RFC 5545), add-to-calendar links, OpenStreetMap
and schema.org JSON-LD. Pure functions of an event; the views decide language and addresses.

Times leave here in UTC (`...Z`) everywhere: the .ics, Google and Outlook. A calendar then shows them in
the reader's zone, which is right for an event across a daylight-saving change and needs no VTIMEZONE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.models import Event, EventStatus

ICS_STATUS = {
    EventStatus.SCHEDULED: "CONFIRMED",
    EventStatus.POSTPONED: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}
# As django.utils.html.json_script does: "</script>" or "<!--" inside a string cannot end the data block.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
SCHEMA_STATUS = {
    EventStatus.SCHEDULED: "https://schema.org/EventScheduled",
    EventStatus.POSTPONED: "https://schema.org/EventPostponed",
    EventStatus.CANCELLED: "https://schema.org/EventCancelled",
}


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _compact_utc(value: datetime) -> str:
    return _utc(value).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(event: Event, *, url: str) -> str:
    """The description calendars show: the event's text, the to-be-confirmed notice and its page."""
    parts = [event.display_description.strip()]
    if event.details_to_confirm:
        parts.append(_("Time and exact place to be confirmed by the organisers."))
    if event.status != EventStatus.SCHEDULED:
        parts.append(_("Status: %(status)s") % {"status": event.get_status_display()})
    parts.append(url)
    return "\n\n".join(p for p in parts if p)


def event_ics(events: Iterable[tuple[Event, str]], *, calendar_name: str, site_url: str) -> bytes:
    """A VCALENDAR of (event, page URL) pairs, all times in UTC."""
    host = urlsplit(site_url).hostname or "quitgpt"
    cal = Calendar()
    cal.add("prodid", "-//QuitGPT//Events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    now = timezone.now()
    for event, url in events:
        item = CalendarEvent()
        item.add("uid", f"event-{event.pk}@{host}")
        item.add("dtstamp", _utc(now))
        item.add("dtstart", _utc(event.starts_at))
        item.add("dtend", _utc(event.ends_at))
        item.add("summary", event.display_title)
        item.add("description", calendar_text(event, url=url))
        if event.place_line:
            item.add("location", event.place_line)
        if event.latitude is not None and event.longitude is not None:
            item.add("geo", (float(event.latitude), float(event.longitude)))
        item.add("url", url)
        status = ICS_STATUS[EventStatus(event.status)]
        if status == "CONFIRMED" and event.details_to_confirm:
            status = "TENTATIVE"  # the time and place are still to be confirmed: calendars should say so
        item.add("status", status)
        item.add("sequence", event.sequence)
        item.add("last-modified", _utc(event.updated_at))
        cal.add_component(item)
    return cal.to_ical()


def google_calendar_url(event: Event, *, url: str) -> str:
    query = {
        "action": "TEMPLATE",
        "text": event.display_title,
        "dates": f"{_compact_utc(event.starts_at)}/{_compact_utc(event.ends_at)}",
        "details": calendar_text(event, url=url),
        "location": event.place_line,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: Event, *, url: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.display_title,
        "startdt": _utc(event.starts_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(event.ends_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": calendar_text(event, url=url),
        "location": event.place_line,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def osm_url(event: Event) -> str:
    """A link (not an embed) to OpenStreetMap: the coordinates when known, else a search for the place."""
    if event.latitude is not None and event.longitude is not None:
        lat, lon = f"{event.latitude:.6f}", f"{event.longitude:.6f}"
        return f"https://www.openstreetmap.org/?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}"
    return "https://www.openstreetmap.org/search?" + urlencode({"query": event.place_line})


def event_json_ld(event: Event, *, url: str, site_url: str) -> SafeString:
    """schema.org Event as JSON, escaped for a <script type="application/ld+json"> data block."""
    place: dict = {
        "@type": "Place",
        "name": event.venue or event.city,
        "address": {
            "@type": "PostalAddress",
            "addressLocality": event.city,
            "addressCountry": str(event.country),
        },
    }
    if event.address:
        place["address"]["streetAddress"] = event.address
    if event.latitude is not None and event.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(event.latitude),
            "longitude": float(event.longitude),
        }
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.display_title,
        "description": event.display_description,
        # In the event's own zone, with its offset: what schema.org consumers expect.
        "startDate": event.local_starts_at.isoformat(),
        "endDate": event.local_ends_at.isoformat(),
        "eventStatus": SCHEMA_STATUS[EventStatus(event.status)],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": place,
        "organizer": {"@type": "Organization", "name": "QuitGPT", "url": site_url + "/"},
        "url": url,
    }
    if event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(JSON_SCRIPT_ESCAPES)
    # <, > and & are escaped above, so the text cannot close the script element.
    return mark_safe(text)  # noqa: S308  # nosec B308 B703
