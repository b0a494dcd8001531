"""Double opt-in: a link that opens a page, a POST that confirms, nothing lost, nothing sent twice."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pledges.models import Pledge, Supporter
from pledges.services import pledge_send_email
from quitgpt.optin import sweep_owed
from tests.pledges.conftest import link_in, make_pledge

pytestmark = pytest.mark.django_db

POST = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def test_opening_the_link_does_not_confirm_only_the_button_does(client, sign, outbox) -> None:
    sign()
    path = link_in(outbox[0], "confirm")
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'method="post"' in html and "Confirm" in html and "This wasn" in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert Pledge.objects.get().status == "pending"
    response = client.post(path, {"action": "confirm"}, **POST)
    pledge = Pledge.objects.get()
    assert pledge.status == "confirmed" and pledge.confirmed_at is not None
    assert response.status_code == 302
    # The thank-you page, showing the receipt once and carrying the private manage token for what comes
    # after confirming.
    assert response["Location"].startswith(f"/pledge/thanks/{pledge.share_code}/?receipt=")
    assert re.search(r"&k=[0-9a-f]+$", response["Location"])
    assert Supporter.objects.get().tally_dirty


def test_confirming_twice_is_harmless(client, sign, outbox) -> None:
    sign()
    path = link_in(outbox[0], "confirm")
    client.post(path, {"action": "confirm"}, **POST)
    first = Pledge.objects.get().confirmed_at
    again = client.post(path, {"action": "confirm"}, **POST)
    share = Pledge.objects.get().share_code
    # A used link says so and leads to the thank-you page.
    assert again.status_code == 200 and "Already confirmed" in again.content.decode()
    assert f"/pledge/thanks/{share}/" in again.content.decode()
    assert Pledge.objects.get().confirmed_at == first
    page = client.get(path)
    assert page.status_code == 200 and "Already confirmed" in page.content.decode()


def test_a_used_link_says_already_confirmed_even_after_it_expired(client, sign, outbox) -> None:
    sign()
    path = link_in(outbox[0], "confirm")
    client.post(path, {"action": "confirm"}, **POST)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        page = client.get(path)
    assert page.status_code == 200 and "Already confirmed" in page.content.decode()
    assert "Sign again" not in page.content.decode()


def test_confirming_confirms_both_kinds_signed_together(client, sign, outbox) -> None:
    sign(kinds=["cancelled", "shared"])
    client.post(link_in(outbox[0], "confirm"), {"action": "confirm"}, **POST)
    assert set(Pledge.objects.values_list("status", flat=True)) == {"confirmed"}


def test_this_wasnt_me_deletes_the_pending_pledge_and_forgets_the_address(client, sign, outbox) -> None:
    sign()
    response = client.post(link_in(outbox[0], "confirm"), {"action": "reject"}, **POST)
    assert response.status_code == 200
    assert not Pledge.objects.exists()
    supporter = Supporter.objects.get()
    assert supporter.email_normalised == f"erased-{supporter.pk}"


def test_a_forged_cross_site_confirmation_is_refused(client, sign, outbox) -> None:
    sign()
    response = client.post(
        link_in(outbox[0], "confirm"), {"action": "confirm"}, HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert response.status_code == 403
    assert Pledge.objects.get().status == "pending"


def test_an_unknown_or_expired_link_is_a_clear_page_not_an_error(client, sign, outbox) -> None:
    assert client.get("/pledge/confirm/not-a-token/").status_code == 404
    assert client.post("/pledge/confirm/not-a-token/", {"action": "confirm"}, **POST).status_code == 404
    sign()
    path = link_in(outbox[0], "confirm")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert client.get(path).status_code == 404
        client.post(path, {"action": "confirm"}, **POST)
    assert Pledge.objects.get().status == "pending"


def test_a_double_submit_keeps_the_first_emails_link_working(client, sign, outbox) -> None:
    sign()
    sign(ip="192.0.2.77")
    first, second = link_in(outbox[0], "confirm"), link_in(outbox[1], "confirm")
    assert first == second  # one request, one link, in every email
    assert client.get(first).status_code == 200
    client.post(first, {"action": "confirm"}, **POST)
    assert Pledge.objects.get().status == "confirmed"


def test_a_stranger_signing_a_pending_address_changes_nothing_the_owner_confirms(
    client, sign, outbox
) -> None:
    sign(email="owner@example.org", first_name="Owner", message="My words", wall_consent="on")
    owners_link = link_in(outbox[0], "confirm")
    sign(
        email="Owner@Example.org",
        first_name="Stranger",
        message="Not mine",
        country="US",
        updates_consent="on",
        ip="198.51.100.9",
    )
    person = Supporter.objects.get()
    assert (person.first_name, person.message, str(person.country)) == ("Owner", "My words", "FR")
    assert person.wall_consent and not person.updates_consent
    assert Pledge.objects.get().email == "owner@example.org"  # the address the emails go to
    assert all(m.to == ["owner@example.org"] for m in outbox)
    page = client.get(owners_link)
    assert page.status_code == 200  # the owner's link still works
    html = page.content.decode()
    # The page shows what will be published and which consents are given.
    assert "Owner" in html and "My words" in html and "France" in html and "Stranger" not in html
    assert "Show me on the supporters wall: yes" in html and "Send me campaign updates by email: no" in html


def test_a_sender_killed_mid_send_resends_the_same_link(client, sign, outbox) -> None:
    sign()
    pledge = Pledge.objects.get()
    first = link_in(outbox[0], "confirm")
    # The worker sent the email and died before stamping the row: it is still owed, its claim stale.
    long_ago = timezone.now() - timedelta(minutes=11)
    Pledge.objects.filter(pk=pledge.pk).update(
        email_owed="confirm", email_owed_since=long_ago, email_claimed_at=long_ago
    )
    assert sweep_owed() == 1
    assert link_in(outbox[1], "confirm") == first
    assert client.get(first).status_code == 200


def test_a_new_request_after_the_link_expired_gets_a_new_link_and_a_fresh_budget(
    client, sign, outbox
) -> None:
    sign()
    Pledge.objects.update(emails_sent=5)  # spent, e.g. by a stranger's re-signs
    old = link_in(outbox[0], "confirm")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        sign(ip="192.0.2.78")
        assert len(outbox) == 2
        new = link_in(outbox[1], "confirm")
        assert new != old and client.get(new).status_code == 200
        assert client.get(old).status_code == 404
    assert Pledge.objects.get().emails_sent == 1


def test_the_token_is_stored_only_as_a_hash(sign, outbox) -> None:
    sign()
    token = link_in(outbox[0], "confirm").rstrip("/").rsplit("/", 1)[1]
    pledge = Pledge.objects.get()
    assert token != pledge.token_hash
    assert not Pledge.objects.filter(token_hash=token).exists()
    assert pledge.token_expires_at - timezone.now() > timedelta(days=6, hours=23)


# --- Nothing lost, nothing twice -------------------------------------------------------------------------
def test_a_second_sender_of_the_same_owed_email_sends_nothing(outbox) -> None:
    from quitgpt.optin import owe_email

    pledge = make_pledge()
    owe_email(Pledge, pk=pledge.pk, kind="confirm")
    assert pledge_send_email(pledge_id=pledge.pk) is True
    assert pledge_send_email(pledge_id=pledge.pk) is False
    assert len(outbox) == 1


def test_the_sweep_sends_what_is_owed_once_and_only_after_the_grace(outbox) -> None:
    from quitgpt.optin import owe_email

    pledge = make_pledge()
    owe_email(Pledge, pk=pledge.pk, kind="confirm")
    assert sweep_owed() == 0  # a fresh row is left to the task enqueued on commit
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep_owed() == 1
        assert sweep_owed() == 0
    assert len(outbox) == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_when_the_broker_is_down_the_pledge_is_saved_and_the_sweep_sends_it(
    client, outbox, broker_down
) -> None:
    """Enqueueing for real against a dead broker: the request still succeeds, and the sweep sends."""
    from tests.pledges.conftest import FORM

    started = time.monotonic()
    response = client.post("/pledge/", FORM, HTTP_SEC_FETCH_SITE="same-origin")
    elapsed = time.monotonic() - started
    assert response.status_code == 303
    assert elapsed < 10
    pledge = Pledge.objects.get()
    assert pledge.email_owed == "confirm" and pledge.emails_sent == 0
    assert outbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep_owed() == 1
    assert len(outbox) == 1 and outbox[0].to == ["jane@example.org"]
    assert Pledge.objects.get().emails_sent == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_when_the_mail_server_fails(celery_worker, smtp_server, smtp_mailbox) -> None:
    """The SMTP listener answers 451 to the first attempt: the worker retries after a backoff and
    delivers exactly once."""
    from pledges.tasks import send_pledge_email
    from quitgpt.optin import owe_email

    mailbox = smtp_server[2]
    attempts = []
    deliver = type(mailbox).handle_DATA

    async def fails_once(server, session, envelope):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            return "451 Try again later"
        return await deliver(mailbox, server, session, envelope)

    mailbox.handle_DATA = fails_once  # each new SMTP connection looks the hook up again
    try:
        pledge = make_pledge(email="retry@example.org")
        owe_email(Pledge, pk=pledge.pk, kind="confirm")
        send_pledge_email.delay(pledge.pk)
        messages = smtp_mailbox.wait_for(1, timeout=30)
    finally:
        del mailbox.handle_DATA
    assert len(attempts) == 2
    assert len(messages) == 1 and "retry@example.org" in messages[0]["X-Envelope-To"]
    deadline = time.monotonic() + 10
    while Pledge.objects.get().emails_sent != 1 and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker stamps the row just after the SMTP server accepts
    assert Pledge.objects.get().emails_sent == 1


def test_the_email_task_retries_with_backoff_on_the_email_queue() -> None:
    from pledges.tasks import send_pledge_email
    from quitgpt.celery import app

    assert send_pledge_email.autoretry_for == (Exception,)
    assert send_pledge_email.retry_backoff and send_pledge_email.max_retries >= 5
    assert app.amqp.router.route({}, send_pledge_email.name)["queue"].name == "email"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_confirmation_through_smtp(client, celery_worker, smtp_mailbox) -> None:
    from tests.pledges.conftest import FORM

    response = client.post(
        "/pledge/", {**FORM, "email": "worker@example.org"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 303
    [message] = smtp_mailbox.wait_for(1, timeout=30)
    assert message["Subject"] == "Confirm your QuitGPT pledge"
    assert "worker@example.org" in message["X-Envelope-To"]
    text = smtp_mailbox.text_of(message)
    path = link_in(text, "confirm")
    client.post(path, {"action": "confirm"}, **POST)
    assert Pledge.objects.get().status == "confirmed"
    # Nothing else arrives: one submission, one email.
    time.sleep(1)
    assert len(smtp_mailbox.messages) == 1


def test_the_thank_you_page_shows_the_receipt_only_through_the_confirmation(client, sign, outbox) -> None:
    sign()
    response = client.post(link_in(outbox[0], "confirm"), {"action": "confirm"}, **POST)
    supporter = Supporter.objects.get()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert supporter.receipt_secret and supporter.receipt_secret in html
    assert supporter.receipt_commitment in html
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    # The public address (the share code is shared) never shows it, nor a forged token.
    public = client.get(response["Location"].split("?")[0]).content.decode()
    assert supporter.receipt_secret not in public
    forged = client.get(response["Location"].split("?")[0] + "?receipt=1:forged").content.decode()
    assert supporter.receipt_secret not in forged


def test_the_manage_page_shows_the_receipt_until_erasure(client, sign, outbox) -> None:
    sign()
    client.post(link_in(outbox[0], "confirm"), {"action": "confirm"}, **POST)
    supporter = Supporter.objects.get()
    html = client.get(link_in(outbox[0], "manage")).content.decode()
    assert supporter.receipt_secret in html and supporter.receipt_commitment in html


def test_the_confirmation_email_lists_what_awaits_and_the_repeat_email_what_counts(
    client, sign, outbox
) -> None:
    from pledges.models import PledgeKind

    sign(kinds=["cancelled"])
    client.post(link_in(outbox[0], "confirm"), **POST)
    outbox.clear()
    sign(kinds=["shared"], ip="192.0.2.11")  # a new kind: to confirm; the confirmed one is not asked again
    listed = re.findall(r"^- (.+)$", outbox[0].body, re.MULTILINE)
    assert listed == [str(PledgeKind.SHARED.label)]
    outbox.clear()
    sign(kinds=["cancelled"], ip="192.0.2.12")  # only what already counts: nothing to confirm
    listed = re.findall(r"^- (.+)$", outbox[0].body, re.MULTILINE)
    assert "/pledge/confirm/" not in outbox[0].body
    assert listed == [str(PledgeKind.CANCELLED.label)]
