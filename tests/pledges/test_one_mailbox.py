"""Issue 16, finding 1: one mailbox counts once, whatever spelling reaches it (quotes, quoted pairs,
case, the provider's aliases), for pledges, block lists, RSVPs and sign-in alike."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from events import services as events
from events.models import Rsvp, RsvpStatus
from pledges.models import BlockedAddress, Pledge, Supporter
from quitgpt.emails import normalise_email
from tally.selectors import tally_current
from tally.services import tally_recompute
from tests.events.conftest import make_event
from tests.pledges.conftest import link_in

pytestmark = pytest.mark.django_db
SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin"}

FIVE_SPELLINGS = [
    "janedoe@gmail.com",
    '"janedoe"@gmail.com',
    '"jane\\doe"@gmail.com',
    "Jane.Doe@GoogleMail.com",
    "janedoe+again@gmail.com",
]


def test_five_spellings_confirmed_from_one_inbox_count_one_person(sign, outbox, client: Client) -> None:
    for n, spelling in enumerate(FIVE_SPELLINGS):
        assert sign(email=spelling, ip=f"192.0.2.{n + 1}")["Location"] == "/pledge/check-your-email/"
        for message in list(outbox):
            if "/pledge/confirm/" in message.body:
                client.post(link_in(message, "confirm"), **SAME_ORIGIN)
        outbox.clear()
    tally_recompute()
    assert Supporter.objects.count() == 1 and Pledge.objects.count() == 1
    assert tally_current()["people"] == 1
    # The address on file is the first plain spelling, never a quoted one.
    assert Pledge.objects.get().email == "janedoe@gmail.com"


def test_a_blocked_address_cannot_pass_quoted(sign, outbox) -> None:
    BlockedAddress.objects.create(email_normalised=normalise_email("jane.doe@gmail.com"))
    for spelling in ('"janedoe"@gmail.com', '"jane\\doe"@gmail.com', '"Jane.Doe"@googlemail.com'):
        assert sign(email=spelling)["Location"] == "/pledge/check-your-email/"
    assert not Pledge.objects.exists() and not outbox


def test_the_block_list_form_stores_the_key_of_a_quoted_spelling(admin_client) -> None:
    response = admin_client.post(
        "/admin/pledges/blockedaddress/add/", {"email_normalised": '"Jane\\Doe"@Example.org', "reason": "x"}
    )
    assert response.status_code == 302
    assert list(BlockedAddress.objects.values_list("email_normalised", flat=True)) == ["janedoe@example.org"]


def test_a_quoted_address_that_cannot_be_mapped_is_refused_with_a_clear_message(client: Client) -> None:
    from tests.pledges.conftest import FORM

    response = client.post("/pledge/", {**FORM, "email": '"jane..doe"@example.org'}, **SAME_ORIGIN)
    assert response.status_code == 400
    assert "without quotation marks or backslashes" in response.content.decode()
    assert not Pledge.objects.exists()


def test_an_events_seats_cannot_be_taken_twice_by_quoting(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    event = make_event(capacity=2)
    for spelling in ("sam@gmail.com", '"sam"@gmail.com', '"s\\am"@Gmail.com', "S.am+x@googlemail.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/events/{event.slug}/rsvp/", {"email": spelling}, **SAME_ORIGIN)
        assert response.status_code in (200, 303)
    assert Rsvp.objects.filter(event=event).count() == 1
    rsvp = Rsvp.objects.get(event=event)
    events.rsvp_confirm(rsvp_id=rsvp.pk)
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.CONFIRMED).count() == 1


@pytest.mark.parametrize("spelling", ['"s\\am"@Example.ORG', "SAM@example.org"])
def test_sign_in_reads_a_quoted_spelling_as_the_plain_one(
    client: Client, spelling: str, django_capture_on_commit_callbacks
) -> None:
    from tests.factories import make_user

    make_user("sam@example.org")
    with django_capture_on_commit_callbacks(execute=True):  # the code is owed (outbox), sent after commit
        response = client.post("/accounts/login/code/", {"email": spelling})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["sam@example.org"]
    assert re.search(r"[A-Z0-9]{4}-?[A-Z0-9]{4}", mail.outbox[-1].body)


def test_the_manage_link_goes_to_the_spelling_the_supporter_confirmed(sign, outbox, client: Client) -> None:
    sign(email="Jane.Doe@gmail.com")
    client.post(link_in(outbox[0], "confirm"), **SAME_ORIGIN)
    outbox.clear()
    sign(email='"janedoe+x"@googlemail.com', kinds=["shared"], ip="192.0.2.60")
    assert outbox and all(m.to == ["Jane.Doe@gmail.com"] for m in outbox)
    assert "/pledge/manage/" in outbox[0].body


def test_of_two_confirmed_spellings_the_emails_go_to_the_first_confirmed(
    sign, outbox, client: Client
) -> None:
    sign(email="Jane.Doe@gmail.com")
    client.post(link_in(outbox[0], "confirm"), **SAME_ORIGIN)
    outbox.clear()
    sign(email="janedoe@googlemail.com", kinds=["shared"], ip="192.0.2.61")
    client.post(link_in(outbox[0], "confirm"), **SAME_ORIGIN)
    confirmed = Pledge.objects.filter(status="confirmed").order_by("confirmed_at")
    assert list(confirmed.values_list("email", flat=True)) == ["Jane.Doe@gmail.com", "janedoe@googlemail.com"]
    outbox.clear()
    sign(email="jane.doe+z@gmail.com", kinds=["deleted"], ip="192.0.2.62")
    assert outbox and all(m.to == ["Jane.Doe@gmail.com"] for m in outbox)


@pytest.mark.parametrize("spelling", ["J.Ane.Doe+x@googlemail.com", '"janedoe"@gmail.com'])
def test_sign_in_finds_the_account_of_the_mailbox_by_its_key(
    client: Client, spelling: str, django_capture_on_commit_callbacks
) -> None:
    from tests.factories import make_user

    make_user("jane.doe@gmail.com")
    make_user("jade@gmail.com")
    with django_capture_on_commit_callbacks(execute=True):  # the code is owed (outbox), sent after commit
        response = client.post("/accounts/login/code/", {"email": spelling})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["jane.doe@gmail.com"]
    assert re.search(r"[A-Z0-9]{4}-?[A-Z0-9]{4}", mail.outbox[-1].body)


def test_sign_in_does_not_merge_plus_addresses_where_the_provider_does_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    from tests.factories import make_user

    make_user("bob@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "bob+x@example.org"})
    assert all(m.to != ["bob@example.org"] for m in mail.outbox)
