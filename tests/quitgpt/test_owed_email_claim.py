"""The owed-email claim under real concurrency: several senders at once on PostgreSQL, one email.

A Celery retry, a second worker and the sweep may all try to send the same owed email at the same
moment. Each sender runs here in its own thread with its own database connection, released together by
a barrier; the real SMTP listener counts what was delivered, and the link in the one email works.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection

from events.models import Rsvp, RsvpStatus
from events.services import rsvp_send_owed_email
from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_send_email
from quitgpt.optin import owe_email
from tests.events.conftest import make_event, make_rsvp
from tests.factories import make_pledge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 6


def race(send, pk: int) -> list[object]:
    """Run `send(pk)` in SENDERS threads released at once; each thread's result (or exception)."""
    barrier = threading.Barrier(SENDERS)
    results: list[object] = [None] * SENDERS

    def sender(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = send(pk)
        except Exception as exc:  # reported by the assertions, not lost in the thread
            results[i] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_six_senders_of_one_owed_pledge_email_send_it_once(smtp_mailbox, client) -> None:
    pledge = make_pledge("ada@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")

    results = race(lambda pk: pledge_send_email(pledge_id=pk), pledge.pk)

    assert sorted(results, key=repr) == [False] * (SENDERS - 1) + [True], results
    messages = smtp_mailbox.wait_for(1)
    assert len(messages) == 1 and messages[0]["X-Envelope-To"] == "ada@example.org"
    pledge.refresh_from_db()
    assert (pledge.emails_sent, pledge.email_owed, pledge.email_claimed_at) == (1, "", None)
    # The one email's link is the live one: no losing sender replaced the token after it was sent.
    body = smtp_mailbox.text_of(messages[0])
    path = re.search(r"https?://[^/\s]+(/pledge/confirm/[^\s\"<]+)", body).group(1)
    client.post(path, HTTP_SEC_FETCH_SITE="same-origin")
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.CONFIRMED


def test_six_senders_of_one_owed_rsvp_email_send_it_once(smtp_mailbox) -> None:
    rsvp = make_rsvp(make_event(), email="bea@example.org", status=RsvpStatus.PENDING)
    assert owe_email(Rsvp, pk=rsvp.pk, kind="confirm")

    results = race(lambda pk: rsvp_send_owed_email(rsvp_id=pk), rsvp.pk)

    assert sorted(results, key=repr) == [False] * (SENDERS - 1) + [True], results
    assert len(smtp_mailbox.wait_for(1)) == 1
    rsvp.refresh_from_db()
    assert (rsvp.emails_sent, rsvp.email_owed) == (1, "")
