"""End to end with the real Celery worker: a visitor signs and confirms, the worker's tally run appends
the log entry and signs a head, and the standalone verifier confirms the count against a live server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from pledges.models import Pledge, Supporter
from tally.log_models import SignedTreeHead
from tests.conftest import ROOT
from tests.pledges.conftest import FORM, link_in

POST = {"HTTP_SEC_FETCH_SITE": "same-origin"}

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_confirmed_pledge_reaches_the_signed_log_through_the_real_worker(
    client, celery_worker, smtp_mailbox, live_server
) -> None:
    from tally.tasks import recompute_tally

    response = client.post(
        "/pledge/", {**FORM, "email": "e2e@example.org"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 303
    [message] = smtp_mailbox.wait_for(1, timeout=30)
    client.post(link_in(smtp_mailbox.text_of(message), "confirm"), {"action": "confirm"}, **POST)
    assert Pledge.objects.get().status == "confirmed"
    recompute_tally.delay()
    deadline = time.monotonic() + 30
    while not SignedTreeHead.objects.filter(counted=1).exists():
        assert time.monotonic() < deadline, celery_worker.output()[-3000:]
        time.sleep(0.2)
    head = client.get("/api/log/head").json()
    assert head["tree_size"] == 1 and head["counted"] == 1
    assert client.get("/api/tally").json()["log"]["root_hash"] == head["root_hash"]
    secret = Supporter.objects.get().receipt_secret
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            str(ROOT / "scripts" / "verify_count.py"),
            live_server.url,
            "--receipt",
            secret,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "you are counted" in result.stdout
