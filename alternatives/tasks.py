from __future__ import annotations

from celery import shared_task

from alternatives import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def forget_suggestion_ip_hashes_task() -> int:
    return services.suggestions_forget_ip_hashes()
