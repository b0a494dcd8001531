"""Bounces and complaints: the relays' webhook (shared secret) and DSNs read from a mailbox."""

from __future__ import annotations

import json
from email import message_from_string

import pytest
from django.test import Client

from updates.bounces import parse_dsn
from updates.models import Bounce, Suppression
from updates.services import is_suppressed

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-webhook-tests"
URL = "/updates/bounces/webhook"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.UPDATES_BOUNCE_WEBHOOK_SECRET = SECRET


def _post(payload, secret: str = SECRET):
    return Client(enforce_csrf_checks=True).post(
        URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_the_webhook_refuses_a_wrong_or_missing_secret() -> None:
    assert _post({"email": "a@example.org", "type": "hard"}, secret="wrong").status_code == 403
    assert Client().post(URL, "{}", content_type="application/json").status_code == 403
    assert not Bounce.objects.exists()


def test_the_webhook_refuses_everything_when_no_secret_is_set(settings) -> None:
    settings.UPDATES_BOUNCE_WEBHOOK_SECRET = ""
    assert _post({"email": "a@example.org", "type": "hard"}, secret="").status_code == 403


def test_bad_json_is_a_clear_400() -> None:
    response = Client().post(
        URL, "{nope", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 400 and "JSON" in response.json()["error"]


@pytest.mark.parametrize(
    "payload,address,kind",
    [
        ({"RecordType": "Bounce", "Type": "HardBounce", "Email": "pm@example.org"}, "pm@example.org", "hard"),
        ({"RecordType": "SpamComplaint", "Email": "pmc@example.org"}, "pmc@example.org", "complaint"),
        ([{"event": "bounce", "email": "sg@example.org", "type": "bounce"}], "sg@example.org", "hard"),
        (
            {"event-data": {"event": "failed", "severity": "permanent", "recipient": "mg@example.org"}},
            "mg@example.org",
            "hard",
        ),
        (
            {
                "Type": "Notification",
                "Message": json.dumps(
                    {
                        "notificationType": "Bounce",
                        "bounce": {
                            "bounceType": "Permanent",
                            "bouncedRecipients": [{"emailAddress": "ses@example.org"}],
                        },
                    }
                ),
            },
            "ses@example.org",
            "hard",
        ),
        ({"email": "own@example.org", "type": "complaint"}, "own@example.org", "complaint"),
    ],
)
def test_the_common_relays_hard_bounces_and_complaints_suppress_the_address(payload, address, kind) -> None:
    response = _post(payload)
    assert response.status_code == 200 and response.json() == {"recorded": 1}
    assert Bounce.objects.get().kind == kind
    assert is_suppressed(address)


def test_a_soft_bounce_is_recorded_but_does_not_suppress() -> None:
    _post({"RecordType": "Bounce", "Type": "SoftBounce", "Email": "soft@example.org"})
    assert Bounce.objects.get().kind == "soft"
    assert not Suppression.objects.exists()


DSN = """\
From: MAILER-DAEMON@relay.example
To: bounces@quitgpt.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; Gone.User@example.org
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; full@example.org
Action: delayed
Status: 4.2.2

--B--
"""


def test_a_delivery_status_notification_reads_as_hard_and_soft_bounces() -> None:
    assert parse_dsn(message_from_string(DSN)) == [
        ("Gone.User@example.org", "hard", "dsn 5.1.1"),
        ("full@example.org", "soft", "dsn 4.2.2"),
    ]


def test_read_bounces_needs_its_mailbox_setting() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="UPDATES_BOUNCE_IMAP_URL"):
        call_command("read_bounces")


def test_a_hard_bounced_address_gets_no_other_email_either(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    from updates.services import bounce_record

    bounce_record(address="gone@example.org", kind="hard", source="test")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/pledge/",
            {"kinds": ["cancelled"], "email": "Gone@example.org", "country": "FR", "website": ""},
            HTTP_SEC_FETCH_SITE="same-origin",
        )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/pledge/",
            {"kinds": ["cancelled"], "email": "fine@example.org", "country": "FR", "website": ""},
            HTTP_SEC_FETCH_SITE="same-origin",
        )
    smtp_mailbox.wait_for(1)
    assert [m["X-Envelope-To"] for m in smtp_mailbox.messages] == ["fine@example.org"]
