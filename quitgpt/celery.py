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
