"""Celery application. Start with `celery -A quitgpt worker` and `celery -A quitgpt beat`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quitgpt.settings")

app = Celery("quitgpt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job, in one place, each with the reason for its cadence. Apps add their entries here.
app.conf.beat_schedule = {}

# --- pledges ---
# Emails go to the "email" queue (routes, not the `queue` task option, which Celery 5.7 deprecates).
app.conf.task_routes = {
    **(app.conf.task_routes or {}),
    "pledges.tasks.send_pledge_email": {"queue": "email"},
    "pledges.tasks.sweep_owed_pledge_emails": {"queue": "email"},
}
app.conf.beat_schedule.update(
    {
        # Confirmation emails lost when the broker or a worker was down: owed rows are found after a
        # one-minute grace, so a signer waits at most about two minutes for a lost email.
        "pledges-sweep-owed-emails": {"task": "pledges.tasks.sweep_owed_pledge_emails", "schedule": 60.0},
        # Unconfirmed pledges are kept 7 days; hourly keeps the promise within the hour, cheaply.
        "pledges-purge-pending": {"task": "pledges.tasks.purge_pending_pledges", "schedule": 3600.0},
    }
)
