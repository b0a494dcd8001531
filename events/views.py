"""Event pages (in i18n_patterns) and the language-free calendar files and API (events/api_urls.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from events import calendars, links, selectors, services
from events.forms import RsvpForm
from events.models import Event, RsvpStatus
from quitgpt.cors import cors
from quitgpt.dates import human_datetime
from quitgpt.i18n import supported_language
from quitgpt.net import client_ip, ip_hash
from quitgpt.security import safe_only, same_origin_post


def _page_url(event: Event) -> str:
    """The event page in the active language, absolute."""
    return settings.SITE_URL + reverse("events:detail", kwargs={"slug": event.slug})


def _og_description(event: Event) -> str:
    """What a link preview says: when (in the event's own zone), where, then the description."""
    with timezone.override(event.tz):
        when = human_datetime(event.starts_at)
    text = " · ".join(part for part in (f"{when} ({event.timezone})", event.place_line) if part)
    description = " ".join(event.display_description.split())
    if description:
        text = f"{text}. {description}"
    return Truncator(text).chars(200)


def _detail_context(event: Event, form: RsvpForm | None = None, *, closed_error: bool = False) -> dict:
    url = _page_url(event)
    seats_left = None
    if event.capacity is not None:
        seats_left = max(event.capacity - event.confirmed_count, 0)
    return {
        "event": event,
        "form": form or RsvpForm(),
        "accepts_rsvps": event.accepts_rsvps(),
        "has_ended": event.has_ended(),
        "seats_left": seats_left,
        "closed_error": closed_error,
        "page_url": url,
        "google_url": calendars.google_calendar_url(event, url=url),
        "outlook_url": calendars.outlook_calendar_url(event, url=url),
        "osm_url": calendars.osm_url(event),
        "json_ld": calendars.event_json_ld(event, url=url, site_url=settings.SITE_URL),
        # Link previews (templates/includes/social_meta.html).
        "og_title": event.display_title,
        "og_description": _og_description(event),
    }


def _get_event(slug: str) -> Event:
    event = selectors.event_public_get(slug=slug)
    if event is None:
        raise Http404
    return event


@require_safe
@cache_control(public=True, max_age=60)
def index(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.events_public_listing()
    return render(request, "events/index.html", {"upcoming": upcoming, "past": past})


@require_safe
@cache_control(public=True, max_age=60)
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "events/detail.html", _detail_context(_get_event(slug)))


@require_POST
@same_origin_post
@never_cache
def rsvp(request: HttpRequest, slug: str) -> HttpResponse:
    event = _get_event(slug)
    form = RsvpForm(request.POST)
    if not event.accepts_rsvps():
        return render(
            request, "events/detail.html", _detail_context(event, form, closed_error=True), status=409
        )
    if form.is_bot:  # the same answer as a real RSVP; nothing saved, nothing sent
        return render(request, "events/rsvp_sent.html", {"event": event})
    if not form.is_valid():
        return render(request, "events/detail.html", _detail_context(event, form), status=400)
    try:
        services.rsvp_create(
            event=event,
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            language=translation.get_language() or settings.LANGUAGE_CODE,
            ip_hash=ip_hash(client_ip(request)),
        )
    except services.RsvpClosed:  # ended between the check above and now
        context = _detail_context(event, form, closed_error=True)
        return render(request, "events/detail.html", context, status=409)
    # The same answer whether the address is new, pending, already confirmed or dropped.
    return render(request, "events/rsvp_sent.html", {"event": event})


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
@never_cache
def rsvp_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a Confirm button (mail scanners open links); only the POST confirms."""
    found = selectors.rsvp_by_confirm_token(token=token)
    if found is None:
        return render(request, "events/link_invalid.html", status=404)
    done = request.method == "POST"
    rsvp = services.rsvp_confirm(rsvp_id=found.pk) if done else found
    return render(
        request,
        "events/rsvp_confirm.html",
        {
            "rsvp": rsvp,
            "event": rsvp.event,
            "done": done,
            "position": services.rsvp_waitlist_position(rsvp=rsvp),
            "cancel_url": reverse(
                "events:rsvp_cancel", kwargs={"pk": rsvp.pk, "token": links.rsvp_cancel_token(rsvp=rsvp)}
            ),
            "has_ended": rsvp.event.has_ended(),
            "Status": RsvpStatus,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
@never_cache
def rsvp_cancel(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The private link in every email. GET asks; the POST cancels."""
    found = selectors.rsvp_by_cancel_link(pk=pk, token=token)
    if found is None:
        return render(request, "events/link_invalid.html", status=404)
    done = request.method == "POST"
    rsvp = services.rsvp_cancel(rsvp_id=found.pk) if done else found
    return render(
        request,
        "events/rsvp_cancel.html",
        {"rsvp": rsvp, "event": rsvp.event, "done": done, "Status": RsvpStatus},
    )


# --- language-free: calendars and JSON -----------------------------------------------------------------
def _calendar_language(request: HttpRequest) -> str:
    return supported_language(request.GET.get("lang"))


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@cors
@safe_only
@cache_control(public=True, max_age=300)
def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """One event as an .ics file; `?lang=fr` for the French title and text."""
    event = Event.objects.published().filter(slug=slug).first()
    if event is None:
        raise Http404
    with translation.override(_calendar_language(request)):
        body = calendars.event_ics(
            [(event, _page_url(event))], calendar_name=event.display_title, site_url=settings.SITE_URL
        )
    return _ics_response(body, f"{event.slug}.ics")


@cors
@safe_only
@cache_control(public=True, max_age=900)
def feed_ics(request: HttpRequest) -> HttpResponse:
    """Every published event, to subscribe to from a calendar application."""
    events = Event.objects.published().order_by("starts_at", "pk")
    with translation.override(_calendar_language(request)):
        body = calendars.event_ics(
            [(event, _page_url(event)) for event in events],
            calendar_name=_("QuitGPT events"),
            site_url=settings.SITE_URL,
        )
    return _ics_response(body, "quitgpt-events.ics")


def _event_json(event: Event, *, now: datetime) -> dict:
    with translation.override("en"):
        url = _page_url(event)
    with translation.override("fr"):
        url_fr = _page_url(event)
    return {
        "slug": event.slug,
        "title": event.title,
        "title_fr": event.title_fr,
        "description": event.description,
        "description_fr": event.description_fr,
        "starts_at": event.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ends_at": event.ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "timezone": event.timezone,
        "local_starts_at": event.local_starts_at.isoformat(),
        "local_ends_at": event.local_ends_at.isoformat(),
        "details_to_confirm": event.details_to_confirm,
        "venue": event.venue,
        "address": event.address,
        "city": event.city,
        "country": str(event.country),
        "latitude": float(event.latitude) if event.latitude is not None else None,
        "longitude": float(event.longitude) if event.longitude is not None else None,
        "status": event.status,
        "past": event.has_ended(now),
        "capacity": event.capacity,
        "confirmed_rsvps": event.confirmed_count,
        "url": url,
        "url_fr": url_fr,
        "ics": settings.SITE_URL + reverse("events_api:ics", kwargs={"slug": event.slug}),
    }


@cors
@safe_only
@cache_control(public=True, max_age=300)
def api_index(request: HttpRequest) -> JsonResponse:
    """The published events, soonest first, as JSON. Times in UTC, plus local times with their offset."""
    now = timezone.now()
    events = Event.objects.published().with_rsvp_counts().order_by("starts_at", "pk")
    response = JsonResponse(
        {
            "events": [_event_json(event, now=now) for event in events],
            "feed": settings.SITE_URL + reverse("events_api:feed"),
        },
        json_dumps_params={"ensure_ascii": False},
    )
    return response
