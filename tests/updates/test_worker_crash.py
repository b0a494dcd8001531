"""A real worker killed (SIGKILL) in the middle of a batch, then the update resumed by a new worker:
nobody receives the update twice, and everybody else receives it.

The scenario has its own Redis (a redis-server on a free port) and its own slow SMTP listener, so that no
other worker of the test session can take its tasks, and the kill lands mid-batch.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.conftest import ROOT, _database_url_for_tests, free_port
from tests.updates.conftest import make_subscriber, make_update
from updates import services
from updates.models import Delivery, DeliveryState, Update, UpdateStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.celery_worker]

AUDIENCE = 24


class _SlowSink:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        await asyncio.sleep(0.15)
        return "250 OK"


@pytest.fixture
def slow_sink():
    from aiosmtpd.controller import Controller

    sink = _SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _start_worker(redis_url: str, smtp_port: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_tests(),
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "DJANGO_DEBUG": "1",
        "UPDATES_BATCH_SIZE": "10",
        "UPDATES_RATE_PER_SECOND": "0",
        "UPDATES_REQUIRE_APPROVAL": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "quitgpt",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _enqueue(redis_url: str, update_id: int) -> None:
    from quitgpt.celery import app
    from updates.tasks import send_update_batch

    with app.connection_for_write(redis_url) as connection:
        send_update_batch.apply_async(args=[update_id], connection=connection, queue="email")


def test_a_worker_killed_mid_batch_never_causes_a_second_copy(
    own_redis, slow_sink, tmp_path, settings
) -> None:
    from quitgpt.celery import app

    settings.UPDATES_REQUIRE_APPROVAL = False
    sink, smtp_port = slow_sink
    emails = [f"crash{n}@example.org" for n in range(AUDIENCE)]
    for email in emails:
        make_subscriber(email=email)
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)

    app.conf.task_always_eager = False
    try:
        with (tmp_path / "worker1.log").open("wb") as log:
            first = _start_worker(own_redis, smtp_port, log)
        _enqueue(own_redis, update.pk)
        # Kill it mid-batch: some of the first batch delivered, the rest not yet.
        _wait(lambda: len(sink.received) >= 4, 60, "the first messages")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        assert len(sink.received) < AUDIENCE
        states = Counter(Delivery.objects.filter(update=update).values_list("state", flat=True))
        assert states[DeliveryState.QUEUED] > 0  # recorded before their SMTP call, not sent

        # An organiser resumes (send_update ID --yes); a new worker carries on.
        services.update_start(update=Update.objects.get(pk=update.pk), actor=None, enqueue=False)
        with (tmp_path / "worker2.log").open("wb") as log:
            second = _start_worker(own_redis, smtp_port, log)
        try:
            _enqueue(own_redis, update.pk)
            _wait(
                lambda: Update.objects.get(pk=update.pk).status == UpdateStatus.SENT,
                120,
                "the update to finish:\n" + (tmp_path / "worker2.log").read_text(errors="replace")[-2000:],
            )
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        app.conf.task_always_eager = True

    received = Counter(sink.received)
    assert max(received.values()) == 1, f"someone got two copies: {received.most_common(3)}"
    final = dict(Delivery.objects.filter(update=update).values_list("supporter__email_normalised", "state"))
    assert len(final) == AUDIENCE
    for email in emails:
        if final[email] == DeliveryState.SENT:
            assert received[email] == 1
        else:
            # Claimed by the killed worker: it may or may not have reached the relay, and is never retried.
            assert final[email] == DeliveryState.UNKNOWN
    unknown = sum(1 for s in final.values() if s == DeliveryState.UNKNOWN)
    assert unknown < 10  # at most the killed worker's unstamped claims
    assert sum(received.values()) >= AUDIENCE - unknown
