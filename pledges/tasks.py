"""Thin Celery wrappers over pledges.services. Every task is idempotent."""

from __future__ import annotations

from celery import shared_task

from pledges import services
from pledges.signing import pledges_send_owed_batch


# Queues are set by task_routes in quitgpt/celery.py: Celery 5.7 deprecates the `queue` task option.
@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_pledge_email(pledge_id: int) -> bool:
    """Send the email owed to one pledge. A failure retries with backoff; past the retries the email is
    still owed and the sweep picks it up."""
    return services.pledge_send_email(pledge_id=pledge_id)


@shared_task
def send_owed_pledge_emails_batch() -> int:
    """Production's sender of confirmation emails (PLEDGES_EMAIL_BATCH_SECONDS): every owed row, fresh
    ones included, so that a submission costs no broker publish. Claims make overlapping runs safe."""
    return pledges_send_owed_batch(limit=2000)


@shared_task
def purge_pending_pledges() -> int:
    return services.pledges_purge_pending()
