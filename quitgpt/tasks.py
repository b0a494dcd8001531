"""Celery tasks of the config package: jobs that span the apps."""

from __future__ import annotations

from celery import shared_task

from quitgpt import optin


@shared_task
def sweep_owed_emails() -> int:
    """Send every email still owed by every registered owner (pledges, RSVPs): quitgpt.optin.sweep_owed."""
    return optin.sweep_owed()
