"""Signing again after a withdrawal: it waits for the owner's confirmation, keeps a moderator's
suspicion, and a changed message goes back to moderation (issue 16 point 8, issue 15 point 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from pledges.models import Pledge, Supporter
from pledges.services import pledge_withdraw
from tests.factories import make_pledge
from tests.pledges.conftest import link_in

pytestmark = pytest.mark.django_db
POST = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def _withdrawn_long_ago(**fields) -> Pledge:
    pledge = make_pledge("jane@example.org", status="confirmed", **fields)
    pledge_withdraw(pledge=pledge)
    # Past the undo window: the details are open to a new signature.
    Pledge.objects.filter(pk=pledge.pk).update(withdrawn_at=timezone.now() - timedelta(days=3))
    return pledge


def test_signing_again_after_withdrawing_waits_for_the_owners_confirmation(client, sign, outbox) -> None:
    pledge = _withdrawn_long_ago()
    sign(email="jane@example.org")
    assert Pledge.objects.get(pk=pledge.pk).status == "withdrawn"
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, **POST)
    assert Pledge.objects.get(pk=pledge.pk).status == "confirmed"


def test_withdrawing_and_signing_again_keeps_the_suspicion(client, sign, outbox) -> None:
    pledge = _withdrawn_long_ago(suspicious=True)
    sign(email="jane@example.org", ip="192.0.2.200")  # a fresh address, under every limit
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, **POST)
    pledge.refresh_from_db()
    assert pledge.status == "confirmed" and pledge.suspicious  # still held: only a moderator clears it
    assert not Pledge.objects.counted().exists()


def test_a_changed_message_after_a_withdrawal_needs_approval_again(client, sign, outbox) -> None:
    _withdrawn_long_ago(message="Approved words", message_approved=True, wall_consent=True, first_name="Jane")
    sign(email="jane@example.org", first_name="Jane", message="Unread words", wall_consent="on")
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, **POST)
    person = Supporter.objects.get()
    assert person.message == "Unread words" and person.message_approved is False
    cache.clear()
    assert "Unread words" not in client.get("/supporters/").content.decode()


def test_the_same_message_after_a_withdrawal_keeps_its_approval(client, sign, outbox) -> None:
    _withdrawn_long_ago(message="Approved words", message_approved=True, wall_consent=True, first_name="Jane")
    sign(email="jane@example.org", first_name="Jane", message="Approved words", wall_consent="on")
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, **POST)
    assert Supporter.objects.get().message_approved is True
    cache.clear()
    assert "Approved words" in client.get("/supporters/").content.decode()


def test_erasing_a_spam_marked_mailbox_and_signing_again_stays_held(client, sign, outbox, admin_user) -> None:
    from pledges.models import SpamTombstone
    from pledges.services import pledge_mark_spam, supporter_erase

    pledge = make_pledge("Spammer@Example.org", status="confirmed")
    pledge_mark_spam(pledges=[pledge], actor=admin_user)
    supporter_erase(supporter=pledge.supporter)
    assert SpamTombstone.objects.count() == 1
    assert not SpamTombstone.objects.filter(key_hash__icontains="spammer").exists()  # no address kept
    sign(email='"spammer"@example.org', ip="192.0.2.201")
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, **POST)
    again = Pledge.objects.exclude(email="").get()
    assert again.status == "confirmed" and again.suspicious
    assert not Pledge.objects.counted().exists()
    # Someone else is not held.
    sign(email="someone@example.org", ip="192.0.2.202")
    assert not Pledge.objects.get(email="someone@example.org").suspicious
