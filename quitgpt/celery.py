"""Celery application. Start with `celery -A quitgpt worker` and `celery -A quitgpt beat`."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quitgpt.settings")

app = Celery("quitgpt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A plain `celery -A quitgpt worker` consumes every queue; to scale out, start workers on some of them
# (`-Q email`, `-Q tally`), so that a flood of emails never delays the counter.
app.conf.task_queues = (Queue("default"), Queue("email"), Queue("tally"))

# Every periodic job, in one place, each with the reason for its cadence. Apps add their entries here.
app.conf.beat_schedule = {}

# --- quitgpt (jobs across the apps) ---
app.conf.task_routes = {"quitgpt.tasks.sweep_owed_emails": {"queue": "email"}}
app.conf.beat_schedule.update(
    {
        # Every owed email (pledges, RSVPs: the owners registered in quitgpt.optin) lost when the broker
        # or a worker was down: owed rows are found after a one-minute grace, so a person waits at most
        # about two minutes for a lost link.
        "sweep-owed-emails": {"task": "quitgpt.tasks.sweep_owed_emails", "schedule": 60.0},
    }
)

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

# --- events ---
# Every events task (RSVP emails, change notices, reminders, the sweep) runs on the "email" queue. Routes
# rather than `@shared_task(queue=...)`, which Celery 5.7 deprecates (a warning, an error in our tests).
app.conf.task_routes = {**(app.conf.task_routes or {}), "events.tasks.*": {"queue": "email"}}
app.conf.beat_schedule.update(
    {
        # Reminders go once per RSVP when the event starts within EVENTS_REMINDER_HOURS; every 15 minutes
        # keeps them close to "the day before" without scanning often (the query is indexed and small).
        "events-send-reminders": {
            "task": "events.tasks.send_event_reminders",
            "schedule": 15 * 60.0,
        },
    }
)

# --- pledges ---
# Emails go to the "email" queue (routes, not the `queue` task option, which Celery 5.7 deprecates).
app.conf.task_routes = {
    **(app.conf.task_routes or {}),
    "pledges.tasks.send_pledge_email": {"queue": "email"},
    "pledges.tasks.send_owed_pledge_emails_batch": {"queue": "email"},
}
app.conf.beat_schedule.update(
    {
        # Unconfirmed pledges are kept 7 days; hourly keeps the promise within the hour, cheaply.
        "pledges-purge-pending": {"task": "pledges.tasks.purge_pending_pledges", "schedule": 3600.0},
    }
)
if settings.PLEDGES_EMAIL_BATCH_SECONDS:
    # In production a submission publishes nothing: its email is owed in the database and this batch
    # sends every owed email every few seconds (a signer waits that long at most; a viral day costs the
    # broker one message per period instead of one per pledge). Expires so that missed runs do not pile up.
    app.conf.beat_schedule["pledges-send-owed-emails-batch"] = {
        "task": "pledges.tasks.send_owed_pledge_emails_batch",
        "schedule": float(settings.PLEDGES_EMAIL_BATCH_SECONDS),
        "options": {"queue": "email", "expires": 2 * settings.PLEDGES_EMAIL_BATCH_SECONDS},
    }

# --- tally ---
# Its own queue, so that a flood of emails never delays the counter (and the other way round).
app.conf.task_routes = {
    **(app.conf.task_routes or {}),
    # The sampled audit's emails are emails: the "email" queue (listed before the tally's wildcard).
    "tally.tasks.send_audit_email": {"queue": "email"},
    "tally.tasks.sweep_owed_audit_emails": {"queue": "email"},
    "tally.tasks.*": {"queue": "tally"},
}
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
        # Audit re-confirmation emails lost when the broker or a worker was down: like the pledges' sweep.
        "tally-sweep-owed-audit-emails": {"task": "tally.tasks.sweep_owed_audit_emails", "schedule": 60.0},
        "tally-recount": {
            "task": "tally.tasks.recount_tally",
            "schedule": crontab(hour=3, minute=17),
            "options": {"queue": "tally", "expires": 3600},
        },
    }
)

# --- outbox and updates ---
# allauth's emails, campaign updates and the pledge reminder are emails: the "email" queue.
app.conf.task_routes = {
    **(app.conf.task_routes or {}),
    "outbox.tasks.*": {"queue": "email"},
    "updates.tasks.*": {"queue": "email"},
}
app.conf.beat_schedule.update(
    {
        # Sign-in and verification codes lost with the broker or a worker: a person is waiting on the
        # page for the code, so every minute.
        "outbox-sweep": {"task": "outbox.tasks.sweep_outbound_emails", "schedule": 60.0},
        # A sending update whose batch chain broke (worker killed, broker down) resumes within a minute
        # (plus the two-minute lease of the dead sender).
        "updates-resume-stalled": {"task": "updates.tasks.resume_stalled_updates", "schedule": 60.0},
        # The one reminder goes 24 h after the request; every 15 minutes keeps it within a quarter of an
        # hour of that, with a cheap indexed query.
        "updates-remind-unconfirmed": {
            "task": "updates.tasks.remind_unconfirmed_pledges",
            "schedule": 15 * 60.0,
        },
        # A milestone draft is for organisers to review, not urgent: every 10 minutes is soon enough.
        "updates-prepare-milestone": {
            "task": "updates.tasks.prepare_milestone_update",
            "schedule": 10 * 60.0,
        },
    }
)

# --- campaign ---
# The fraud watch reads indexed windows of the last day; reminders and alerts are emails.
app.conf.task_routes = {
    **(app.conf.task_routes or {}),
    "campaign.tasks.fraud_watch": {"queue": "default"},
    "campaign.tasks.refresh_campaign_figures": {"queue": "default"},
    "campaign.tasks.send_renewal_reminders": {"queue": "email"},
}
app.conf.beat_schedule.update(
    {
        # Every 5 minutes: a catch-all domain's pledges confirmed before it crossed the threshold are held
        # within minutes, and campaign admins hear of a crossing while it is happening, once.
        "campaign-fraud-watch": {"task": "campaign.tasks.fraud_watch", "schedule": 300.0},
        # "switched" and "by_partner" join the whole applied state: every 2 minutes off the tally queue,
        # so that the tally job stays O(changes) and reads them from one row (campaign.figures).
        "campaign-refresh-figures": {"task": "campaign.tasks.refresh_campaign_figures", "schedule": 120.0},
        # Hourly: reminders are due on dates, a few days ahead; within the hour is on time.
        "campaign-renewal-reminders": {"task": "campaign.tasks.send_renewal_reminders", "schedule": 3600.0},
    }
)
