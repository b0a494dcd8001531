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

# --- alternatives ---
app.conf.beat_schedule.update(
    {
        # Hourly: a suggestion's IP hash (for the abuse limit) is erased at most an hour after it turns
        # one day old; the query is cheap and idempotent.
        "alternatives-forget-suggestion-ip-hashes": {
            "task": "alternatives.tasks.forget_suggestion_ip_hashes_task",
            "schedule": 60 * 60,
        },
    }
)
