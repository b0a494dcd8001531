"""Every email the site sends uses the one branded template pair: a Message-ID and a Date, a <title> in
the HTML part, a plain-text part that stands alone (the links written out), the manage and privacy links,
and the recipient's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from events import services as event_services
from pledges.models import Pledge
from tests.events.conftest import make_event
from tests.factories import make_pledge
from tests.updates.conftest import make_subscriber, make_update
from updates import services

pytestmark = pytest.mark.django_db

FORM = {
    "kinds": ["cancelled"],
    "email": "jane@example.org",
    "first_name": "Jane",
    "country": "FR",
    "website": "",
}


def _check_branded(mailbox, message, *, language: str) -> tuple[str, str]:
    assert re.match(r"^<[^@\s]+@[^>\s]+>$", message["Message-ID"].strip()), message["Message-ID"]
    assert message["Date"]
    html = mailbox.text_of(message, "html")
    text = mailbox.text_of(message)
    subject = message["Subject"]
    assert re.search(r"<title>[^<]+</title>", html)
    assert f'<html lang="{language}">' in html
    assert "QuitGPT" in html
    privacy = "/fr/privacy/" if language == "fr" else "/privacy/"
    assert privacy in html and privacy in text
    assert not re.search(r"<(p|a|html|br|ul|li)\b", text), "the text part must not be HTML"
    # Every link of the HTML part is written out in the text part.
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.replace("&amp;", "&") in text, f"{href} missing from the text part"
    assert subject
    return html, text


def _sign(client: Client, django_capture_on_commit_callbacks, path: str = "/pledge/", **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            path, {**FORM, **overrides}, HTTP_SEC_FETCH_SITE="same-origin", REMOTE_ADDR="192.0.2.1"
        )


@pytest.mark.parametrize("language,path", [("en", "/pledge/"), ("fr", "/fr/pledge/")])
def test_the_confirmation_email_is_branded_and_in_the_signers_language(
    smtp_mailbox, django_capture_on_commit_callbacks, language, path
) -> None:
    _sign(Client(), django_capture_on_commit_callbacks, path=path)
    [message] = smtp_mailbox.wait_for(1)
    _html, text = _check_branded(smtp_mailbox, message, language=language)
    assert "/pledge/manage/" in text and "/pledge/confirm/" in text


def test_the_already_pledged_note_after_a_french_re_sign_is_in_french(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    make_pledge(email="jane@example.org", status="confirmed", language="en")
    _sign(Client(), django_capture_on_commit_callbacks, path="/fr/pledge/")
    [message] = smtp_mailbox.wait_for(1)
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))) == "Vous vous êtes déjà engagé·e"
    _check_branded(smtp_mailbox, message, language="fr")
    # The pledge itself keeps its language: a stranger's re-sign changes nothing of the owner's.
    assert Pledge.objects.get().supporter.language == "en"


def test_the_already_pledged_note_after_an_english_re_sign_is_in_english(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    make_pledge(email="jane@example.org", status="confirmed", language="fr")
    _sign(Client(), django_capture_on_commit_callbacks, path="/pledge/")
    [message] = smtp_mailbox.wait_for(1)
    assert message["Subject"] == "You have already pledged"
    _check_branded(smtp_mailbox, message, language="en")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_rsvp_emails_are_branded_and_in_the_rsvps_language(
    smtp_mailbox, django_capture_on_commit_callbacks, language
) -> None:
    event = make_event()
    with django_capture_on_commit_callbacks(execute=True):
        event_services.rsvp_create(event=event, email="rsvp@example.org", language=language)
    [message] = smtp_mailbox.wait_for(1)
    _html, text = _check_branded(smtp_mailbox, message, language=language)
    assert "/events/rsvp/confirm/" in text


@pytest.mark.parametrize(
    "language,path", [("en", "/accounts/login/code/"), ("fr", "/fr/accounts/login/code/")]
)
def test_sign_in_codes_are_branded_and_in_the_pages_language(
    smtp_mailbox, django_capture_on_commit_callbacks, language, path
) -> None:
    from tests.factories import make_user

    make_user(email="code@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(path, {"email": "code@example.org"})
    assert response.status_code == 302
    [message] = smtp_mailbox.wait_for(1)
    _html, text = _check_branded(smtp_mailbox, message, language=language)
    assert re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", text)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_updates_are_branded_with_the_unsubscribe_link(smtp_mailbox, settings, language) -> None:
    settings.UPDATES_REQUIRE_APPROVAL = False
    make_subscriber(email="u@example.org", language=language)
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)
    services.update_run(update_id=update.pk)
    [message] = smtp_mailbox.wait_for(1)
    _html, text = _check_branded(smtp_mailbox, message, language=language)
    assert "/unsubscribe/" in text and "/pledge/manage/" in text
    assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_emails_other_than_updates_carry_no_list_unsubscribe(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    _sign(Client(), django_capture_on_commit_callbacks)
    [message] = smtp_mailbox.wait_for(1)
    assert message["List-Unsubscribe"] is None
