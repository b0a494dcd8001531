"""Thin Celery wrappers over campaign services (schedules in quitgpt/celery.py, `# --- campaign ---`)."""

from __future__ import annotations

from celery import shared_task

from campaign import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def fraud_watch() -> dict[str, int]:
    return services.watch_run()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def send_renewal_reminders() -> int:
    return services.reminders_run()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def refresh_campaign_figures() -> None:
    from campaign.figures import figures_refresh

    figures_refresh()
