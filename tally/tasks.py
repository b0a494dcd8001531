"""Celery tasks: thin wrappers over tally.services. Both are idempotent: running twice does no harm."""

from __future__ import annotations

from celery import shared_task

from tally import services


@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=3,
    ignore_result=True,
)
def recompute_tally() -> dict:
    """Apply pending changes and publish. If another run holds the lock, it will see our changes."""
    result = services.tally_recompute()
    return {"ran": result.ran, "changed": result.changed, "snapshot": result.snapshot_id}


@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=3,
    ignore_result=True,
)
def recount_tally() -> dict:
    recount = services.tally_recount()
    if recount is None:
        return {"ran": False}
    return {"ran": True, "drift": recount.drift, "repaired": recount.repaired}


# The audit's emails go to the "email" queue (routed in quitgpt/celery.py), like every other email.
@shared_task(
    autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8
)
def send_audit_email(member_id: int) -> bool:
    from tally import audit

    return audit.audit_send_email(member_id=member_id)


@shared_task
def sweep_owed_audit_emails() -> int:
    from tally import audit

    return audit.audit_send_owed()
