"""Emails after the RSVP: changes of time, place or status, the reminder, and the sweep of owed emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services, tasks
from events.models import Rsvp, RsvpStatus
from quitgpt.models import AuditEntry
from quitgpt.tasks import sweep_owed_emails
from tests.events.conftest import make_event, make_rsvp

pytestmark = pytest.mark.django_db


def admin_form(event, **changes) -> dict:
    local_start, local_end = event.local_starts_at, event.local_ends_at
    data = {
        "title": event.title, "title_fr": event.title_fr, "slug": event.slug,
        "description": event.description, "description_fr": event.description_fr,
        "timezone": event.timezone,
        "start_local_0": local_start.strftime("%Y-%m-%d"), "start_local_1": local_start.strftime("%H:%M"),
        "end_local_0": local_end.strftime("%Y-%m-%d"), "end_local_1": local_end.strftime("%H:%M"),
        "venue": event.venue, "address": event.address, "city": event.city, "country": str(event.country),
        "latitude": "", "longitude": "", "organiser_contact": "", "capacity": event.capacity or "",
        "status": event.status, "published": "on",
    }  # fmt: skip
    data.update(changes)
    return data


def test_postponing_in_the_admin_emails_everyone_coming_once_and_is_audited(
    admin_client, admin_user, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    event = make_event(title="Sit-in")
    going = make_rsvp(event, status=RsvpStatus.CONFIRMED, language="fr")
    waiting = make_rsvp(event, status=RsvpStatus.WAITLISTED)
    make_rsvp(event, status=RsvpStatus.PENDING)
    make_rsvp(event, status=RsvpStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/events/event/{event.pk}/change/", admin_form(event, status="postponed")
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([going.email, waiting.email])
    by_to = {m.to[0]: m for m in mailoutbox}
    assert by_to[waiting.email].subject == "Postponed: Sit-in"
    assert by_to[going.email].subject.startswith("Reporté")
    assert all("/cancel/" in m.body for m in mailoutbox)
    entry = AuditEntry.objects.get(action="events.event_update")
    assert entry.actor == admin_user and entry.details["status"] == ["scheduled", "postponed"]
    # The task running again (a retry) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_event_change.delay(event.pk, 1)
    assert len(mailoutbox) == 2


def test_moving_the_event_emails_the_new_time_and_a_title_edit_does_not(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    start = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    event = make_event(title="March", timezone="Europe/Paris", starts_at=start)
    make_rsvp(event, status=RsvpStatus.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/events/event/{event.pk}/change/", admin_form(event, title="March!"))
    assert mailoutbox == []
    event.refresh_from_db()
    new_start = event.local_starts_at + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/events/event/{event.pk}/change/",
            admin_form(event, start_local_0=new_start.strftime("%Y-%m-%d"),
                       end_local_0=(event.local_ends_at + timedelta(days=1)).strftime("%Y-%m-%d")),
        )  # fmt: skip
    [message] = mailoutbox
    assert message.subject == "Change of time or place: March!"
    assert new_start.strftime("%-d %B %Y") in message.body
    event.refresh_from_db()
    assert event.sequence == 1


def test_the_admin_reads_times_in_the_events_zone_and_refuses_a_time_the_clocks_skip(admin_client) -> None:
    event = make_event(timezone="America/Los_Angeles")
    data = admin_form(event, start_local_0="2026-03-08", start_local_1="01:00", end_local_0="2026-03-08",
                      end_local_1="04:00")  # fmt: skip
    assert admin_client.post(f"/admin/events/event/{event.pk}/change/", data).status_code == 302
    event.refresh_from_db()
    assert event.starts_at.isoformat() == "2026-03-08T09:00:00+00:00"
    assert event.ends_at.isoformat() == "2026-03-08T11:00:00+00:00"
    data["start_local_1"] = "02:30"
    response = admin_client.post(f"/admin/events/event/{event.pk}/change/", data)
    assert response.status_code == 200
    assert "This time does not exist in this time zone" in response.content.decode()


def test_the_reminder_goes_once_to_confirmed_rsvps_of_events_starting_within_a_day(
    mailoutbox, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    soon = make_event(title="Tomorrow's rally", starts_at=now + timedelta(hours=20))
    later = make_event(starts_at=now + timedelta(days=3))
    called_off = make_event(starts_at=now + timedelta(hours=20), status="cancelled")
    going = make_rsvp(soon, status=RsvpStatus.CONFIRMED)
    for status in (RsvpStatus.PENDING, RsvpStatus.WAITLISTED, RsvpStatus.CANCELLED):
        make_rsvp(soon, status=status)
    make_rsvp(later, status=RsvpStatus.CONFIRMED)
    make_rsvp(called_off, status=RsvpStatus.CONFIRMED)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.send_event_reminders.delay()
    [message] = mailoutbox
    assert message.to == [going.email]
    assert message.subject == "Reminder: Tomorrow's rally is coming up"
    assert Rsvp.objects.get(pk=going.pk).reminded_at is not None


def test_the_sweep_sends_what_is_still_owed(mailoutbox) -> None:
    rsvp = make_rsvp(make_event())
    Rsvp.objects.filter(pk=rsvp.pk).update(
        email_owed="confirm", email_owed_since=timezone.now() - timedelta(minutes=5)
    )
    assert sweep_owed_emails.delay().get() == 1
    assert len(mailoutbox) == 1 and "/events/rsvp/confirm/" in mailoutbox[0].body
    assert sweep_owed_emails.delay().get() == 0
    assert Rsvp.objects.get(pk=rsvp.pk).emails_sent == 1


def test_a_cancelled_rsvp_is_owed_nothing_more(mailoutbox, django_capture_on_commit_callbacks) -> None:
    event = make_event()
    with django_capture_on_commit_callbacks(execute=False):
        rsvp = services.rsvp_create(event=event, email="a@example.org")
    services.rsvp_cancel(rsvp_id=rsvp.pk)
    assert tasks.send_rsvp_email.delay(rsvp.pk).get() is False
    assert mailoutbox == []


def test_the_csv_export_is_formula_safe_and_audited(admin_client) -> None:
    event = make_event()
    rsvp = make_rsvp(event, name='=HYPERLINK("http://evil")', email="csv@example.org", status="confirmed")
    other = make_rsvp(event, name="+1 Plus", email="@at@example.org")
    response = admin_client.post(
        "/admin/events/rsvp/", {"action": "export_csv", "_selected_action": [rsvp.pk, other.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("event,email,name,status")
    assert "'=HYPERLINK" in lines[1] or "'=HYPERLINK" in lines[2]
    assert "'+1 Plus" in response.content.decode() and "'@at@example.org" in response.content.decode()
    assert AuditEntry.objects.filter(action="events.rsvp_export").exists()


def test_organisers_see_the_lists_in_the_admin(admin_client, client) -> None:
    event = make_event()
    make_rsvp(event, status="confirmed")
    assert admin_client.get("/admin/events/event/").status_code == 200
    assert admin_client.get("/admin/events/rsvp/?status=confirmed").status_code == 200
    assert admin_client.get("/admin/events/event/add/").status_code == 200
    assert client.get("/admin/events/rsvp/").status_code == 302


def test_an_organiser_creates_an_event_in_local_time_and_it_is_audited(admin_client, admin_user) -> None:
    from events.models import Event

    data = {
        "title": "Vigil", "title_fr": "Veillée", "slug": "vigil", "description": "", "description_fr": "",
        "timezone": "Europe/Paris", "start_local_0": "2026-07-14", "start_local_1": "18:00",
        "end_local_0": "2026-07-14", "end_local_1": "20:00", "venue": "", "address": "", "city": "Paris",
        "country": "FR", "latitude": "", "longitude": "", "organiser_contact": "", "capacity": "",
        "status": "scheduled", "published": "on",
    }  # fmt: skip
    response = admin_client.post("/admin/events/event/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(slug="vigil")
    assert event.starts_at.isoformat() == "2026-07-14T16:00:00+00:00"  # 18:00 CEST
    assert AuditEntry.objects.filter(action="events.event_create", actor=admin_user).exists()
    data.update(slug="vigil-2", timezone="Not/AZone")
    response = admin_client.post("/admin/events/event/add/", data)
    assert response.status_code == 200 and "is not a known time zone" in response.content.decode()
