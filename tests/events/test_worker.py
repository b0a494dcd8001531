"""The confirmation email through the real broker and a real Celery worker, to a real SMTP listener."""

from __future__ import annotations

import time

import pytest

from events import services
from events.models import Rsvp
from tests.events.conftest import link_in, make_event

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_sends_the_confirmation_and_stamps_the_row(celery_worker, smtp_mailbox, client) -> None:
    event = make_event(title="Worker rally")
    rsvp = services.rsvp_create(event=event, email="w@example.org", language="en")
    [message] = smtp_mailbox.wait_for(1, timeout=30)
    assert message["X-Envelope-To"] == "w@example.org"
    deadline = time.monotonic() + 10
    while Rsvp.objects.get(pk=rsvp.pk).emails_sent != 1:
        assert time.monotonic() < deadline, celery_worker.output()[-2000:]
        time.sleep(0.1)
    row = Rsvp.objects.get(pk=rsvp.pk)
    assert row.email_owed == "" and row.token_hash
    # The link the worker minted opens the confirm page in this process.
    confirm = link_in(smtp_mailbox.text_of(message), "confirm")
    assert client.get(confirm).status_code == 200
