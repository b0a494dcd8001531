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

# --- tally ---
from celery.schedules import crontab  # noqa: E402
from django.conf import settings  # noqa: E402

# Its own queue, so that a flood of emails never delays the counter (and the other way round).
app.conf.task_routes = {**(app.conf.task_routes or {}), "tally.tasks.*": {"queue": "tally"}}
app.conf.beat_schedule.update(
    {
        # The counter must move within a minute of a confirmation; each run costs only the changes since
        # the last, so 30 s (TALLY_RECOMPUTE_SECONDS) is cheap. Expires so that runs missed while the
        # workers were down do not pile up: the next one catches up with everything.
        "tally-recompute": {
            "task": "tally.tasks.recompute_tally",
            "schedule": settings.TALLY_RECOMPUTE_SECONDS,
            "options": {"queue": "tally", "expires": settings.TALLY_RECOMPUTE_SECONDS},
        },
        # Nightly, at a quiet hour: the full recount reads every pledge (seconds at millions) to prove
        # the incremental figure right, and repairs it if not.
        "tally-recount": {
            "task": "tally.tasks.recount_tally",
            "schedule": crontab(hour=3, minute=17),
            "options": {"queue": "tally", "expires": 3600},
        },
    }
)
