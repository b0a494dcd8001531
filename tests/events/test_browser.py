"""A person RSVPs in a real browser, reads the email from the SMTP listener, confirms, sees it."""

from __future__ import annotations

import pytest

from events.models import Rsvp
from tests.events.conftest import link_in, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_rsvps_confirms_by_email_and_sees_they_are_going(
    live_server, page, smtp_mailbox, settings
) -> None:
    settings.SITE_URL = live_server.url
    event = make_event(title="Browser rally", capacity=10)
    page.goto(f"{live_server.url}/events/")
    page.get_by_role("link", name="Browser rally").click()
    page.wait_for_url(f"{live_server.url}/events/{event.slug}/")
    assert page.get_by_text("0 people confirmed").is_visible()
    page.get_by_label("Your email address").fill("walker@example.org")
    page.get_by_label("Your name (optional)").fill("Walker")
    page.get_by_role("button", name="RSVP").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    [message] = smtp_mailbox.wait_for(1)
    page.goto(live_server.url + link_in(smtp_mailbox.text_of(message), "confirm"))
    assert Rsvp.objects.get(event=event).status == "pending"  # opening the link is not confirming
    page.get_by_role("button", name="Confirm my RSVP").click()
    page.get_by_text("You're going.").wait_for()
    assert Rsvp.objects.get(event=event).status == "confirmed"

    page.get_by_role("link", name="See the event").click()
    page.reload()
    assert page.get_by_text("1 person confirmed").is_visible()
    assert page.get_by_text("9 places left").is_visible()
