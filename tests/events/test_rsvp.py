"""RSVP with double opt-in: the form, the confirmation email on a real SMTP listener, the confirm page."""

from __future__ import annotations

import html
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from events.models import Rsvp, RsvpStatus
from tests.events.conftest import link_in, make_event, make_rsvp

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def rsvp_url(event) -> str:
    return f"/events/{event.slug}/rsvp/"


def test_it_emails_a_link_and_confirms_only_when_the_button_is_pressed(
    client, smtp_mailbox, django_capture_on_commit_callbacks, same_origin
) -> None:
    event = make_event(title="Rally at the square")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            rsvp_url(event), {"email": "Jane.Doe@Example.org", "name": "Jane"}, **same_origin
        )
    assert response.status_code == 200
    assert "Check your email" in text(response)
    assert not response.cookies

    [message] = smtp_mailbox.wait_for(1)
    assert message["X-Envelope-To"] == "Jane.Doe@example.org"  # the domain in its one form
    assert subject(message) == "Confirm your RSVP: Rally at the square"
    body = smtp_mailbox.text_of(message)
    confirm, cancel = link_in(body, "confirm"), link_in(body, "cancel")
    assert "Paris" in body and ("CET" in body or "CEST" in body)

    # A mail scanner opening the link confirms nothing.
    opened = client.get(confirm)
    assert opened.status_code == 200 and "Confirm my RSVP" in text(opened)
    assert "no-store" in opened["Cache-Control"]
    assert Rsvp.objects.get().status == RsvpStatus.PENDING

    confirmed = client.post(confirm, **same_origin)
    assert "You're going." in text(confirmed)
    rsvp = Rsvp.objects.get()
    assert (rsvp.status, rsvp.email_normalised, rsvp.name) == (
        RsvpStatus.CONFIRMED,
        "jane.doe@example.org",
        "Jane",
    )

    # Confirming twice is harmless.
    again = client.post(confirm, **same_origin)
    assert "You're going." in text(again)
    assert Rsvp.objects.get().confirmed_at == rsvp.confirmed_at
    assert "1 person confirmed" in text(client.get(f"/events/{event.slug}/"))

    # The cancel link in the same email works.
    assert client.get(cancel).status_code == 200
    assert "Your RSVP is cancelled" in text(client.post(cancel, **same_origin))
    assert Rsvp.objects.get().status == RsvpStatus.CANCELLED


def test_it_answers_the_same_whether_or_not_the_address_already_rsvped(
    client, mailoutbox, django_capture_on_commit_callbacks, same_origin
) -> None:
    event = make_event()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(rsvp_url(event), {"email": "sam@example.org"}, **same_origin)
    make_rsvp(event, email="kim@fastmail.com", status=RsvpStatus.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(rsvp_url(event), {"email": "KIM+events@Fastmail.com"}, **same_origin)
    assert first.status_code == known.status_code == 200
    assert first.content == known.content
    # The confirmed one is left as it is and gets no new email; one row per mailbox.
    assert len(mailoutbox) == 1
    assert Rsvp.objects.filter(event=event, email_normalised="kim@fastmail.com").get().status == "confirmed"


def test_a_second_rsvp_while_pending_resends_the_same_link_which_keeps_working(
    client, mailoutbox, django_capture_on_commit_callbacks, same_origin
) -> None:
    event = make_event()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(rsvp_url(event), {"email": "lee@example.org"}, **same_origin)
    assert len(mailoutbox) == 2 and Rsvp.objects.count() == 1
    old, new = (link_in(m.body, "confirm") for m in mailoutbox)
    assert old == new  # every link sent stays valid until it expires or is used
    assert client.get(old).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "not-an-address"},
        {"email": "x" * 300 + "@example.org"},
        {"email": "a@b.c", "name": "n" * 500},
        {"email": "a@example.org", "name": "<script>alert(1)</script>"},
        {"email": "a@example.org", "name": '=HYPERLINK("http://x")'},
        {"email": "a@example.org", "name": "Ann\x07e"},
        {"email": "a@example.org", "name": "Visit www.spam.example"},
    ],
)
def test_bad_input_gets_form_errors_not_a_500(client, same_origin, data) -> None:
    event = make_event()
    response = client.post(rsvp_url(event), data, **same_origin)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Rsvp.objects.filter(event=event).exists()


def test_a_cross_site_post_is_refused(client) -> None:
    event = make_event()
    response = client.post(rsvp_url(event), {"email": "a@example.org"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not Rsvp.objects.filter(event=event).exists()


def test_an_ended_or_cancelled_event_takes_no_rsvp(client, same_origin) -> None:
    ended = make_event(starts_at=timezone.now() - timedelta(hours=3))
    cancelled = make_event(status="cancelled")
    for event in (ended, cancelled):
        response = client.post(rsvp_url(event), {"email": "a@example.org"}, **same_origin)
        assert response.status_code == 409
        assert "no longer takes RSVPs" in text(response)
    assert not Rsvp.objects.exists()


def test_an_unpublished_event_is_not_found(client, same_origin) -> None:
    event = make_event(published=False)
    assert client.get(f"/events/{event.slug}/").status_code == 404
    assert client.post(rsvp_url(event), {"email": "a@example.org"}, **same_origin).status_code == 404


def test_a_bot_filling_the_hidden_field_gets_the_same_answer_and_no_rsvp(client, same_origin) -> None:
    event = make_event()
    response = client.post(rsvp_url(event), {"email": "bot@example.org", "website": "x"}, **same_origin)
    assert response.status_code == 200 and "Check your email" in text(response)
    assert not Rsvp.objects.exists()


def test_unknown_and_forged_links_are_not_found(client) -> None:
    rsvp = make_rsvp(make_event())
    assert client.get("/events/rsvp/confirm/nope/").status_code == 404
    assert client.get(f"/events/rsvp/{rsvp.pk}/{'0' * 64}/cancel/").status_code == 404
    assert client.get(f"/events/rsvp/{rsvp.pk + 999}/{'0' * 64}/cancel/").status_code == 404


def test_the_email_is_in_the_language_of_the_rsvp(
    client, mailoutbox, django_capture_on_commit_callbacks, same_origin
) -> None:
    event = make_event(title="Rally", title_fr="Rassemblement")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/fr{rsvp_url(event)}", {"email": "zoe@example.org"}, **same_origin)
    [message] = mailoutbox
    assert "Rassemblement" in message.subject
    assert "/fr/events/rsvp/confirm/" in message.body
    assert Rsvp.objects.get().language == "fr"


def test_confirming_when_the_event_is_full_shows_the_place_on_the_waitlist(
    client, mailoutbox, django_capture_on_commit_callbacks, same_origin, django_assert_max_num_queries
) -> None:
    event = make_event(capacity=1)
    make_rsvp(event, status=RsvpStatus.CONFIRMED)
    with django_assert_max_num_queries(2):
        page = client.get(f"/events/{event.slug}/")
    assert "Full: new RSVPs join the waitlist." in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(rsvp_url(event), {"email": "late@example.org"}, **same_origin)
    confirm = link_in(mailoutbox[0].body, "confirm")
    result = text(client.post(confirm, **same_origin))
    assert "You're on the waitlist." in result and "you are number 1 in line" in result
    assert Rsvp.objects.get(email="late@example.org").status == RsvpStatus.WAITLISTED
