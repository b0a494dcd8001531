"""Freshness in /healthz, the commands, the schedules and the embedded-default scheduler."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from pledges.models import Pledge
from tally.models import ReportedTally, TallySnapshot
from tally.selectors import tally_current
from tally.services import DEMO_DOMAIN, tally_recompute, tally_recount
from tests.tally.conftest import confirm, make_pledge, true_people


@pytest.mark.django_db
def test_healthz_is_ok_while_the_snapshot_is_fresh_and_degraded_when_the_job_stops(
    client: Client, settings
) -> None:
    confirm(make_pledge("ada@example.org"))
    tally_recompute()
    body = client.get("/healthz").json()
    assert body["checks"]["tally"]["status"] == "ok"
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.TALLY_STALE_SECONDS + 5), tick=False
    ):
        response = client.get("/healthz")
        assert response.status_code == 200  # degraded, still serving: keep the node
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["tally"]["status"] == "degraded"
        # A run with nothing to do still confirms the figures: fresh again.
        tally_recompute()
        assert client.get("/healthz").json()["checks"]["tally"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_says_degraded_when_changes_wait_and_nothing_was_ever_computed(client: Client) -> None:
    assert client.get("/healthz").json()["checks"]["tally"]["status"] == "ok"
    make_pledge("ada@example.org")
    assert client.get("/healthz").json()["checks"]["tally"]["status"] == "degraded"


@pytest.mark.django_db
def test_the_recompute_command_runs_the_job_now() -> None:
    confirm(make_pledge("ada@example.org"))
    call_command("recompute_tally")
    assert tally_current()["people"] == 1
    call_command("recompute_tally", "--full")
    assert tally_recount().matched


@pytest.mark.django_db
def test_the_seed_command_creates_confirmed_demo_pledges_and_updates_the_tally_exactly() -> None:
    call_command("seed_demo_pledges", "--count", "250")
    call_command("seed_demo_pledges", "--count", "50")
    assert Pledge.objects.counted().filter(email_normalised__endswith="@" + DEMO_DOMAIN).count() == 300
    assert tally_current()["people"] == 300 == true_people()
    assert sum(tally_current()["by_kind"].values()) == 300
    assert tally_recount().matched


@pytest.mark.django_db
def test_the_seed_command_refuses_a_database_with_real_pledges_unless_forced() -> None:
    make_pledge("someone@gmail.com")
    with pytest.raises(CommandError, match="real pledges"):
        call_command("seed_demo_pledges", "--count", "5")
    assert not Pledge.objects.filter(email_normalised__endswith=DEMO_DOMAIN).exists()
    call_command("seed_demo_pledges", "--count", "5", "--force")
    assert Pledge.objects.filter(email_normalised__endswith=DEMO_DOMAIN).count() == 5


@pytest.mark.django_db
def test_the_seed_command_rejects_a_bad_count() -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo_pledges", "--count", "0")


@pytest.mark.django_db
def test_the_demo_data_shows_the_campaigns_claim_as_an_unverified_reported_tally() -> None:
    from tally import demo

    demo.load()
    demo.load()
    reported = ReportedTally.objects.get()
    assert (reported.count, reported.verified) == (1_500_000, False)
    assert tally_current()["display"] == "1.5M+"


@pytest.mark.django_db
def test_a_reported_tally_saved_by_an_organiser_is_audited_and_published(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    from quitgpt.models import AuditEntry

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/tally/reportedtally/add/",
            {
                "source": "Cancellations posted on social media",
                "count": "12345",
                "date": "2026-03-02",
                "kind": "cancelled",
                "evidence_url": "https://example.org/thread",
                "note": "",
                "active": "on",
            },
        )
    assert response.status_code == 302
    reported = ReportedTally.objects.get()
    assert reported.entered_by.is_superuser
    entry = AuditEntry.objects.get(action="tally.reported_create")
    assert entry.details["count"] == 12345
    assert tally_current()["reported"] == 12345  # republished on commit
    assert admin_client.get("/admin/tally/recount/").status_code == 200
    response = admin_client.post(
        "/admin/tally/recount/", {"action": "run_recount", "_selected_action": ["0"]}, follow=True
    )
    assert response.status_code == 200


def test_the_beat_schedule_runs_the_job_and_the_recount_on_the_tally_queue(settings) -> None:
    from quitgpt.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["tally-recompute"]["schedule"] == settings.TALLY_RECOMPUTE_SECONDS == 30
    assert schedule["tally-recompute"]["options"]["queue"] == "tally"
    assert schedule["tally-recount"]["task"] == "tally.tasks.recount_tally"


def test_the_in_process_scheduler_starts_only_in_a_serving_process() -> None:
    from tally.scheduler import is_server_process

    assert is_server_process(["manage.py", "runserver"])
    assert is_server_process(["/usr/bin/gunicorn", "quitgpt.wsgi"])
    assert not is_server_process(["manage.py", "migrate"])
    assert not is_server_process(["/usr/bin/pytest", "-q"])


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_in_process_scheduler_moves_the_counter_without_any_request() -> None:
    from tally.scheduler import Scheduler

    scheduler = Scheduler(period=0.2).start()
    try:
        confirm(make_pledge("ada@example.org"))
        deadline = time.monotonic() + 15
        while TallySnapshot.objects.filter(people=1).count() == 0:
            assert time.monotonic() < deadline, "the counter did not move"
            time.sleep(0.1)
    finally:
        scheduler.stop()
    assert scheduler.runs >= 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_recompute_task(celery_worker) -> None:
    from tally.tasks import recompute_tally

    confirm(make_pledge("ada@example.org"))
    recompute_tally.delay()
    deadline = time.monotonic() + 20
    while not TallySnapshot.objects.filter(people=1).exists():
        assert time.monotonic() < deadline, celery_worker.output()[-2000:]
        time.sleep(0.2)
