"""Organisers' reported tallies (audited); the headline follows after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from quitgpt.audit import audit_record
from quitgpt.background import enqueue_on_commit
from tally.models import ReportedTally


def _publish_after_commit() -> None:
    # A broker outage is logged, never raised (the row is committed by then): the periodic tally job
    # publishes the change on its next run.
    enqueue_on_commit("tally.tasks.recompute_tally")


def reported_tally_save(*, reported: ReportedTally, actor: Any, reason: str = "") -> ReportedTally:
    """Create or update an organiser's reported tally, audited; the headline follows after commit."""
    creating = reported.pk is None
    with transaction.atomic():
        if creating and actor is not None and getattr(actor, "is_authenticated", False):
            reported.entered_by = actor
        reported.full_clean()
        reported.save()
        audit_record(
            actor=actor,
            action="tally.reported_create" if creating else "tally.reported_update",
            target=reported,
            reason=reason,
            details={
                "source": reported.source,
                "count": reported.count,
                "date": reported.date.isoformat(),
                "verified": reported.verified,
                "active": reported.active,
                "evidence_url": reported.evidence_url,
            },
        )
        _publish_after_commit()
    return reported


def reported_tally_delete(*, reported: ReportedTally, actor: Any, reason: str = "") -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="tally.reported_delete",
            target=reported,
            reason=reason,
            details={"source": reported.source, "count": reported.count},
        )
        reported.delete()
        _publish_after_commit()
