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
