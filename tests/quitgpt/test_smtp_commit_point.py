"""The commit point of production's SMTP backend (quitgpt/smtp.py), against a real SMTP listener and
PostgreSQL: an owed email is recorded as sent just before DATA's final dot, owed again when the relay
refuses it after that, and a claim whose database connection is gone is taken over at once."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage, get_connection
from django.db import connection

from outbox.models import OutboundEmail
from outbox.services import outbox_send
from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_send_email
from quitgpt.optin import owe_email, owed_pks
from quitgpt.smtp import CommitRefused, commit_point
from tests.factories import make_pledge
from tests.quitgpt.relay import start_relay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def relay(settings):
    relay, port, controller = start_relay()
    settings.EMAIL_BACKEND = "quitgpt.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield relay
    controller.stop()


def _row_state_seen_from_another_connection(pk: int) -> tuple:
    try:
        return tuple(
            Pledge.objects.filter(pk=pk).values_list("email_owed", "emails_sent", "email_claimed_at").get()
        )
    finally:
        connection.close()  # this thread's own connection


def _confirm_path(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
            return re.search(r"https?://[^/\s]+(/pledge/confirm/[^\s\"<]+)", text).group(1)
    raise AssertionError("no text part")


def test_the_row_is_stamped_sent_before_the_relay_reads_the_final_dot(relay) -> None:
    pledge = make_pledge("ada@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    seen = []
    relay.on_dot = lambda message: seen.append(_row_state_seen_from_another_connection(pledge.pk))

    assert pledge_send_email(pledge_id=pledge.pk) is True

    assert len(relay.received_by("ada@example.org")) == 1
    # When the relay had the whole message, the stamp was already committed (nothing owed, one sent,
    # no claim): a sender killed now has nothing left to send again.
    assert seen == [("", 1, None)]


def test_the_commit_hook_runs_after_the_body_and_before_the_dot(relay) -> None:
    calls = []

    def commit() -> bool:
        time.sleep(0.3)  # had the dot gone out, the listener would have the message by now
        calls.append(len(relay.messages))
        return True

    with commit_point(commit=commit, undo=lambda: calls.append("undo")) as point:
        sent = EmailMessage(
            "Hi", "Body\n.\nA line that is a lone dot", "a@example.org", ["b@example.org"]
        ).send()

    assert (sent, calls, point.state) == (1, [0], "committed")
    # A line holding a lone dot is dot-stuffed, so it reaches the relay intact and ends nothing.
    assert relay.received_by("b@example.org")[0].get_payload() == "Body\r\n.\r\nA line that is a lone dot\r\n"


def test_a_refused_commit_drops_the_connection_before_the_dot_and_nothing_is_delivered(relay) -> None:
    with pytest.raises(CommitRefused), commit_point(commit=lambda: False, undo=lambda: None):
        EmailMessage("Hi", "Body", "a@example.org", ["b@example.org"]).send()

    time.sleep(0.3)
    assert relay.messages == []


def test_without_a_commit_point_the_backend_sends_as_djangos_does(relay) -> None:
    with get_connection() as backend:
        assert backend.send_messages([EmailMessage("Hi", "Body", "a@example.org", ["c@example.org"])]) == 1
    assert len(relay.received_by("c@example.org")) == 1


def test_a_refusal_after_the_dot_owes_the_pledge_email_again_with_the_same_link(relay, client) -> None:
    pledge = make_pledge("bea@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    relay.reply = "554 5.7.1 Message refused"

    with pytest.raises(smtplib.SMTPDataError):
        pledge_send_email(pledge_id=pledge.pk)

    pledge.refresh_from_db()
    assert (pledge.email_owed, pledge.emails_sent, pledge.email_claimed_at, pledge.email_claimed_by) == (
        "confirm",
        0,
        None,
        None,
    )
    assert pledge.pk in owed_pks(Pledge, grace=timedelta(0))
    refused_link = _confirm_path(relay.messages[0])

    relay.reply = "250 OK"
    assert pledge_send_email(pledge_id=pledge.pk) is True
    pledge.refresh_from_db()
    assert (pledge.email_owed, pledge.emails_sent) == ("", 1)
    assert _confirm_path(relay.messages[1]) == refused_link
    client.post(refused_link, HTTP_SEC_FETCH_SITE="same-origin")
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.CONFIRMED


def test_a_refusal_after_the_dot_keeps_the_outbox_email_owed_with_its_body(relay) -> None:
    row = OutboundEmail.objects.create(to="cy@example.org", subject="Your code", text="Code: 123456")
    relay.reply = "451 4.3.0 Try again later"

    with pytest.raises(smtplib.SMTPDataError):
        outbox_send(pk=row.pk)

    row.refresh_from_db()
    assert (row.sent_at, row.claimed_at, row.subject, row.text) == (None, None, "Your code", "Code: 123456")
    relay.reply = "250 OK"
    assert outbox_send(pk=row.pk) is True
    row.refresh_from_db()
    assert row.sent_at is not None and (row.text, row.claimed_at) == ("", None)
    assert len(relay.received_by("cy@example.org")) == 2  # the refused one, and the accepted one


def _claim_from_another_connection(pk: int, *, keep_open: threading.Event | None = None) -> threading.Thread:
    """Claim the row as a sender would (time and backend pid), in a thread with its own connection; that
    connection closes at once (a killed worker) or when `keep_open` is set (a live sender)."""
    claimed = threading.Event()

    def claimer() -> None:
        try:
            from django.utils import timezone

            connection.ensure_connection()
            pid = connection.connection.info.backend_pid
            Pledge.objects.filter(pk=pk).update(email_claimed_at=timezone.now(), email_claimed_by=pid)
            claimed.set()
            if keep_open is not None:
                keep_open.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=claimer)
    thread.start()
    claimed.wait(10)
    return thread


def test_a_claim_whose_connection_is_gone_is_taken_over_at_once(relay) -> None:
    pledge = make_pledge("dee@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    _claim_from_another_connection(pledge.pk).join(10)
    for _ in range(50):  # PostgreSQL removes the closed backend from pg_stat_activity
        if pledge.pk in owed_pks(Pledge, grace=timedelta(0)):
            break
        time.sleep(0.05)

    assert pledge_send_email(pledge_id=pledge.pk) is True
    assert len(relay.received_by("dee@example.org")) == 1


def test_a_claim_held_by_a_live_connection_is_left_to_its_sender(relay) -> None:
    pledge = make_pledge("eve@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    release = threading.Event()
    holder = _claim_from_another_connection(pledge.pk, keep_open=release)
    try:
        assert pledge.pk not in owed_pks(Pledge, grace=timedelta(0))
        assert pledge_send_email(pledge_id=pledge.pk) is False
    finally:
        release.set()
        holder.join(10)
    assert relay.received_by("eve@example.org") == []


def test_a_sender_whose_claim_was_taken_over_delivers_nothing(relay) -> None:
    """The fence: a sender that looked dead (its connection dropped mid-send) but is alive loses its
    claim to another sender; its stamp matches no row, so it drops its copy before the dot."""
    pledge = make_pledge("fay@example.org")
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    stolen = []

    def steal(message_obj, kind, raw):
        # While this sender renders its email, another takes the claim over (and will send).
        Pledge.objects.filter(pk=pledge.pk).update(email_claimed_by=None, email_claimed_at=None)
        stolen.append(True)
        from pledges.signing import _send_pledge_email

        _send_pledge_email(message_obj, kind, raw)

    from quitgpt.optin import send_owed_email

    assert send_owed_email(Pledge, pk=pledge.pk, send=steal, token_kinds=("confirm",)) is False
    time.sleep(0.3)
    assert stolen == [True] and relay.received_by("fay@example.org") == []
    pledge.refresh_from_db()
    assert (pledge.email_owed, pledge.emails_sent) == ("confirm", 0)


def test_a_batch_sends_every_email_over_one_connection(relay, settings) -> None:
    import socket

    from pledges.signing import pledges_send_owed_batch

    settings.PLEDGES_EMAIL_BATCH_SECONDS = 10  # five per client per batch: these three come from one

    addresses = [f"batch-{i}@example.org" for i in range(3)]
    for address in addresses:
        pledge = make_pledge(address)
        assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    assert pledges_send_owed_batch() == 3
    messages = [relay.received_by(address) for address in addresses]
    assert [len(m) for m in messages] == [1, 1, 1]
    assert len({m[0]["X-Relay-Connection"] for m in messages}) == 1
    # Without Nagle's delay before the final dot (a write after a write, before a read).
    backend = get_connection()
    backend.open()
    try:
        assert backend.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        backend.close()


def test_a_shared_connection_that_dropped_is_opened_again_for_the_next_email(relay) -> None:
    from quitgpt.mail import _shared_connection, one_connection, send_templated_email

    context = {"pledge": None, "supporter": None, "pledges": [], "manage_url": "", "thanks_url": "x"}
    with one_connection():
        send_templated_email(template="pledges/email/already", to="one@example.org", context=context)
        _shared_connection.get().connection.close()  # the relay hung up, or a refused commit point
        send_templated_email(template="pledges/email/already", to="two@example.org", context=context)
    first, second = relay.received_by("one@example.org"), relay.received_by("two@example.org")
    assert len(first) == len(second) == 1
    assert first[0]["X-Relay-Connection"] != second[0]["X-Relay-Connection"]
