"""Thin Celery wrappers over outbox.services (routed to the "email" queue in quitgpt/celery.py)."""

from __future__ import annotations

from celery import shared_task

from outbox import services


@shared_task(
    autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, retry_jitter=True, max_retries=6
)
def send_outbound_email(pk: int) -> bool:
    return services.outbox_send(pk=pk)


@shared_task
def sweep_outbound_emails() -> int:
    return services.outbox_send_owed()
