"""Enqueue-after-commit, written once: every service that starts background work calls this.

A service names the task (`"pledges.tasks.send_pledge_email"`) rather than importing it: tasks import
services, so services importing tasks would turn the layers upside down (see the import-linter contracts
in pyproject.toml). The task is looked up when the transaction has committed.

The broker being down must never fail a request whose rows are already committed: every piece of work
enqueued here is also recorded in the database (an owed email, a supporter marked `tally_dirty`, ...)
and picked up by a periodic job, so a failed enqueue is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def enqueue(task_name: str, *args: Any) -> bool:
    """Send `task_name(*args)` to Celery now. False (and a warning in the log) if the broker refused."""
    try:
        import_string(task_name).delay(*args)
    except Exception:
        logger.warning("could not enqueue %s%r; its periodic job catches up", task_name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send `task_name(*args)` to Celery once the current transaction commits (at once outside one).

    Nothing is sent if the transaction rolls back; a broker outage is logged, never raised."""
    transaction.on_commit(lambda: enqueue(task_name, *args), robust=True)
