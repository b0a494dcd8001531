"""Thin Celery wrappers over events.services. Each is idempotent: running one twice does no harm.

All of them run on the "email" queue, routed in quitgpt/celery.py (`task_routes`): Celery 5.7 deprecates
the `queue=` task attribute, and a deprecation warning is an error in our tests.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from events import services

# Network trouble while sending: retry with backoff; the sweep catches whatever still fails.
RETRY_ON = (SMTPException, ConnectionError, OSError, TimeoutError)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, retry_jitter=True, max_retries=5)
def send_rsvp_email(rsvp_id: int) -> bool:
    return services.rsvp_send_owed_email(rsvp_id=rsvp_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_event_change(event_id: int, sequence: int) -> int:
    return services.event_notify_rsvps(event_id=event_id, sequence=sequence)


@shared_task
def send_event_reminders() -> int:
    return services.event_send_reminders()
