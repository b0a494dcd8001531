"""Production's email path for pledges (PLEDGES_EMAIL_BATCH_SECONDS): a submission publishes no task,
the row says the email is owed, and the batch task sends every owed email once."""

from __future__ import annotations

import pytest

from pledges.models import Pledge
from pledges.tasks import send_owed_pledge_emails_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def batched(settings):
    settings.PLEDGES_EMAIL_BATCH_SECONDS = 2


def test_a_submission_owes_its_email_without_sending_it(sign, outbox, batched) -> None:
    assert sign(email="ada@example.org").status_code == 303
    assert outbox == []
    assert Pledge.objects.get(email_normalised="ada@example.org").email_owed == "confirm"


def test_the_batch_sends_every_owed_email_once_fresh_ones_included(sign, outbox, batched) -> None:
    for i, email in enumerate(["ada@example.org", "bob@example.org"]):
        sign(email=email, ip=f"192.0.2.{i + 1}")
    assert send_owed_pledge_emails_batch() == 2
    assert sorted(m.to[0] for m in outbox) == ["ada@example.org", "bob@example.org"]
    assert send_owed_pledge_emails_batch() == 0
    assert len(outbox) == 2
    assert not Pledge.objects.exclude(email_owed="").exists()


def test_a_repeat_owes_no_second_email_before_the_batch(sign, outbox, batched) -> None:
    sign(email="ada@example.org")
    sign(email="ada@example.org")
    send_owed_pledge_emails_batch()
    assert len(outbox) == 1
