"""A real Celery worker SIGKILLed while it sends a pledge's confirmation email (issue 10, scenario 2).

The worker has its own redis-server and sends through a real SMTP listener that stalls at the chosen
moment, so that the kill lands there:
- after the relay read the final dot, before its "250" (RFC 1047's window): the email counts as sent,
  and nothing sends it again;
- inside DATA, before the dot: the relay discards the message, and the killed worker's claim is taken
  over at once (its database connection is gone), so the email is sent once, without waiting for
  CLAIM_TIMEOUT.
Either way the one email's link confirms.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_send_email
from pledges.signing import pledges_send_owed_batch
from quitgpt.optin import owe_email
from tests.conftest import ROOT, _database_url_for_tests
from tests.factories import make_pledge
from tests.quitgpt.relay import start_relay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.celery_worker]

STALL = 3.0


@pytest.fixture
def relay(settings):
    relay, port, controller = start_relay()
    settings.EMAIL_BACKEND = "quitgpt.smtp.EmailBackend"  # production's, for the senders in this process
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield relay, port
    controller.stop()


@pytest.fixture
def worker(own_redis, relay, tmp_path):
    """Start a worker on the private broker and the stalling relay; returns (process, enqueue)."""
    from pledges.tasks import send_pledge_email
    from quitgpt.celery import app

    _relay, smtp_port = relay
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_tests(),
        "REDIS_URL": own_redis,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "DJANGO_DEBUG": "1",
    }
    log = (tmp_path / "worker.log").open("wb")
    args = [sys.executable, "-m", "celery", "-A", "quitgpt", "worker", "--pool=solo", "-l", "INFO"]
    args += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def enqueue(pledge_id: int) -> None:
        with app.connection_for_write(own_redis) as broker:
            send_pledge_email.apply_async(args=[pledge_id], connection=broker, queue="email")

    app.conf.task_always_eager = False
    try:
        yield process, enqueue
    finally:
        app.conf.task_always_eager = True
        if process.poll() is None:
            process.kill()
        process.wait(10)
        log.close()


def _confirm_path(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
            return re.search(r"https?://[^/\s]+(/pledge/confirm/[^\s\"<]+)", text).group(1)
    raise AssertionError("no text part")


def _kill_when_stalled(relay, process, point: str, address: str) -> None:
    relay.wait(lambda: (point, address) in relay.stalling, 60, f"the worker to reach {point}")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def _settled(pk: int) -> tuple:
    return tuple(
        Pledge.objects.filter(pk=pk).values_list("email_owed", "emails_sent", "email_claimed_at").get()
    )


def test_a_worker_killed_after_the_dot_before_the_reply_never_causes_a_second_copy(relay, worker, client):
    relay, _port = relay
    process, enqueue = worker
    address = "kill-after-dot@example.org"
    relay.stall_after_dot[address] = STALL
    pledge = make_pledge(address)
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    enqueue(pledge.pk)

    _kill_when_stalled(relay, process, "after the dot", address)

    # The row was stamped before the dot: nothing is owed, nobody holds it, so no sender sends again.
    assert _settled(pledge.pk) == ("", 1, None)
    assert pledges_send_owed_batch() == 0
    assert pledge_send_email(pledge_id=pledge.pk) is False
    time.sleep(STALL)  # the relay answers "250" to the dead connection
    messages = relay.received_by(address)
    assert len(messages) == 1
    client.post(_confirm_path(messages[0]), HTTP_SEC_FETCH_SITE="same-origin")
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.CONFIRMED


def test_a_worker_killed_inside_data_before_the_dot_is_replaced_at_once_and_sends_once(relay, worker, client):
    relay, _port = relay
    process, enqueue = worker
    address = "kill-before-dot@example.org"
    relay.stall_before_354[address] = STALL
    pledge = make_pledge(address)
    assert owe_email(Pledge, pk=pledge.pk, kind="confirm")
    enqueue(pledge.pk)

    _kill_when_stalled(relay, process, "before 354", address)

    owed, sent, claimed_at = _settled(pledge.pk)
    assert (owed, sent) == ("confirm", 0) and claimed_at is not None  # the dead worker's claim
    # The batch sender (grace 0) takes the claim over as soon as PostgreSQL has dropped the dead
    # worker's connection: seconds, not CLAIM_TIMEOUT's ten minutes.
    deadline = time.monotonic() + 10
    sent_now = 0
    while not sent_now and time.monotonic() < deadline:
        sent_now = pledges_send_owed_batch()
        connection.close()
        time.sleep(0.1)
    assert sent_now == 1
    assert _settled(pledge.pk) == ("", 1, None)
    time.sleep(STALL)  # the stalled session goes on reading from a dead connection: no message
    messages = relay.received_by(address)
    assert len(messages) == 1
    client.post(_confirm_path(messages[0]), HTTP_SEC_FETCH_SITE="same-origin")
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.CONFIRMED
