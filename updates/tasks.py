"""Thin Celery wrappers over updates.services (routed to the "email" queue in quitgpt/celery.py)."""

from __future__ import annotations

from celery import current_app, shared_task

from updates import services


@shared_task(
    autoretry_for=(Exception,), retry_backoff=10, retry_backoff_max=600, retry_jitter=True, max_retries=10
)
def send_update_batch(update_id: int) -> str:
    """One batch of an update, then the next one is enqueued (inline mode: all batches in a loop). If the
    chain breaks (broker down, worker killed), the sweep resumes the update."""
    if current_app.conf.task_always_eager:
        return services.update_run(update_id=update_id)
    outcome = services.update_send_batch(update_id=update_id)
    if outcome == "more":
        services._enqueue_batch(update_id)
    return outcome


@shared_task
def resume_stalled_updates() -> int:
    return services.updates_resume_stalled()


@shared_task
def remind_unconfirmed_pledges() -> int:
    return services.pledges_remind_unconfirmed()


@shared_task
def prepare_milestone_update() -> int:
    return 1 if services.updates_prepare_milestone() else 0
