"""Issue 16, finding 6: the mail one client can cause is bounded (delayed, never dropped), and no email
echoes what an unverified party typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pledges.abuse import MAIL_BUDGET
from pledges.models import Pledge, PledgeSettings
from quitgpt.optin import SWEEP_PER_CLIENT, sweep_owed

pytestmark = pytest.mark.django_db
CARRIER = "198.51.100.77"  # 60 people behind one carrier address (CGNAT)


@pytest.fixture
def generous_limits():
    # The per-IP flagging limits are another matter (they hold pledges out of the count): out of the way.
    PledgeSettings.objects.update_or_create(pk=1, defaults={"short_limit": 1000, "long_limit": 1000})


def test_one_clients_emails_beyond_its_budget_are_delayed_not_dropped(sign, outbox, generous_limits) -> None:
    people = 60
    for n in range(people):
        sign(email=f"person{n}@example.org", ip=CARRIER)
    assert len(outbox) == MAIL_BUDGET  # at once; the rest are owed
    assert Pledge.objects.exclude(email_owed="").count() == people - MAIL_BUDGET
    minutes = 0
    while Pledge.objects.exclude(email_owed="").exists():
        minutes += 1
        assert minutes <= 10, "everyone behind the carrier address gets their email within minutes"
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes + 1)):
            sent = sweep_owed()
        assert sent <= SWEEP_PER_CLIENT  # a bounded rate per client
    assert len(outbox) == people
    assert sorted(m.to[0] for m in outbox) == sorted(f"person{n}@example.org" for n in range(people))


def test_a_flood_from_one_client_does_not_hold_back_anyone_elses_email(sign, outbox, generous_limits) -> None:
    for n in range(MAIL_BUDGET + 2 * SWEEP_PER_CLIENT):
        sign(email=f"flood{n}@example.org", ip=CARRIER)
    sent_at_once = len(outbox)
    # Someone else, whose email is owed too (e.g. the broker was down for them).
    sign(email="bystander@example.org", ip="192.0.2.55")
    Pledge.objects.filter(email="bystander@example.org").update(
        email_owed="confirm", email_owed_since=timezone.now()
    )
    outbox.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sweep_owed()
    recipients = [m.to[0] for m in outbox]
    assert "bystander@example.org" in recipients
    assert sum(r.startswith("flood") for r in recipients) == SWEEP_PER_CLIENT
    assert sent_at_once == MAIL_BUDGET


def test_emails_never_echo_the_first_name_someone_typed(sign, outbox) -> None:
    full_width = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "Visit")  # passes the link filters
    sign(email="victim@example.org", first_name=full_width)
    sign(email="victim@example.org", first_name="Jane")
    assert outbox
    for message in outbox:
        body = message.body + "".join(str(part[0]) for part in message.alternatives)
        assert full_width not in body and "Jane" not in body
