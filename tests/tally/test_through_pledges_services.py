"""The counter stays exact when pledges change through the real pledges services (not test helpers):
signing, confirming by the emailed link, the rate limit's suspicion, withdrawal, spam, restore, bulk
invalidation and erasure, each followed by the tally job."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from pledges import services as pledges
from pledges.models import Pledge, PledgeStatus, Supporter
from tally.selectors import tally_current
from tally.services import tally_recompute
from tests.pledges.conftest import link_in
from tests.tally.conftest import true_people

pytestmark = pytest.mark.django_db


def _sign_and_confirm(email: str, kinds: list[str], ip: str, capture) -> None:
    mail.outbox = []
    with capture(execute=True):
        pledges.pledge_create(email=email, kinds=kinds, country="FR", ip=ip)
    token = link_in(mail.outbox[-1], "confirm").rstrip("/").rsplit("/", 1)[-1]
    assert pledges.pledge_confirm(token=token) is not None


def _counted() -> tuple[int, dict]:
    tally_recompute()
    current = tally_current()
    assert current["people"] == true_people()
    return current["people"], current["by_kind"]


def test_the_counter_follows_every_pledges_service_exactly(django_capture_on_commit_callbacks) -> None:
    moderator = get_user_model().objects.create_user("mo", "mo@example.org", "pw", is_staff=True)
    capture = django_capture_on_commit_callbacks
    _sign_and_confirm("Alice.Smith+x@gmail.com", ["cancelled", "shared"], "192.0.2.1", capture)
    _sign_and_confirm("bob@example.org", ["cancelled"], "192.0.2.2", capture)
    # Carol signs from Bob's address within the minute: held as suspicious, out of the count.
    _sign_and_confirm("carol@spam.example", ["shared"], "192.0.2.2", capture)
    carol = Pledge.objects.get(email_normalised="carol@spam.example")
    assert carol.suspicious and carol.status == PledgeStatus.CONFIRMED

    people, by_kind = _counted()
    assert people == 2 and by_kind["cancelled"] == 2 and by_kind["shared"] == 1

    # The same mailbox signing again (another spelling) gets an "already pledged" note and still counts once.
    mail.outbox = []
    with capture(execute=True):
        pledges.pledge_create(
            email="alicesmith@googlemail.com", kinds=["cancelled"], country="FR", ip="192.0.2.9"
        )
    assert "already pledged" in mail.outbox[-1].body
    assert _counted()[0] == 2

    pledges.pledge_clear_suspicion(pledges=[carol], actor=moderator, reason="known volunteer")
    people, by_kind = _counted()
    assert people == 3 and by_kind["shared"] == 2

    bob = Pledge.objects.get(email_normalised="bob@example.org")
    assert pledges.pledge_withdraw(pledge=bob)
    people, by_kind = _counted()
    assert people == 2 and by_kind["cancelled"] == 1

    alice = list(Pledge.objects.filter(email_normalised="alicesmith@gmail.com"))
    pledges.pledge_mark_spam(pledges=alice, actor=moderator, reason="test")
    assert _counted()[0] == 1
    pledges.pledge_restore(pledges=alice, actor=moderator, reason="mistake")
    assert _counted()[0] == 2

    assert pledges.pledges_invalidate(actor=moderator, reason="spam wave", domain="spam.example") == 1
    people, by_kind = _counted()
    assert people == 1 and by_kind == {**by_kind, "cancelled": 1, "shared": 1}

    pledges.supporter_erase(supporter=Supporter.objects.get(email_normalised="alicesmith@gmail.com"))
    assert _counted()[0] == 0
    assert tally_current()["total"] == tally_current()["reported"]


def test_clearing_suspicion_acts_on_the_rows_as_they_are_now(django_capture_on_commit_callbacks) -> None:
    moderator = get_user_model().objects.create_user("mo", "mo@example.org", "pw", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        pledges.pledge_create(email="a@example.org", kinds=["cancelled"], country="FR", ip="192.0.2.7")
    stale = list(Pledge.objects.all())  # read before the flood flags it
    with django_capture_on_commit_callbacks(execute=True):
        pledges.pledge_create(email="b@example.org", kinds=["cancelled"], country="FR", ip="192.0.2.7")
    Pledge.objects.filter(pk=stale[0].pk).update(suspicious=True)
    assert pledges.pledge_clear_suspicion(pledges=stale, actor=moderator, reason="checked") == 1
    assert not Pledge.objects.get(pk=stale[0].pk).suspicious
