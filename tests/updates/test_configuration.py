"""The updates' settings and schedule."""

from __future__ import annotations

import pytest

from tests.quitgpt.test_settings import run_manage


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UPDATES_REQUIRE_APPROVAL", "perhaps"),
        ("UPDATES_BATCH_SIZE", "0"),
        ("UPDATES_RATE_PER_SECOND", "fast"),
        ("UPDATES_PER_WEEK", "0"),
        ("UPDATES_BOUNCE_WEBHOOK_SECRET", "short"),
        ("UPDATES_BOUNCE_IMAP_URL", "pop3://mail.example"),
    ],
)
def test_a_bad_updates_setting_stops_start_up_and_is_named(name: str, value: str) -> None:
    result = run_manage("check", env={name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_the_email_jobs_are_scheduled_on_registered_tasks_on_the_email_queue() -> None:
    import outbox.tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does
    import updates.tasks  # noqa: F401
    from quitgpt.celery import app

    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    expected = {
        "outbox.tasks.sweep_outbound_emails": 60,
        "updates.tasks.resume_stalled_updates": 60,
        "updates.tasks.remind_unconfirmed_pledges": 15 * 60,
        "updates.tasks.prepare_milestone_update": 10 * 60,
    }
    for name, cadence in expected.items():
        assert schedule[name] <= cadence
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "email"
    assert app.amqp.router.route({}, "updates.tasks.send_update_batch")["queue"].name == "email"
    assert app.amqp.router.route({}, "outbox.tasks.send_outbound_email")["queue"].name == "email"
