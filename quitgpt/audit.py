"""The audit trail: every organiser action is recorded through `audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from quitgpt.models import AuditEntry


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Record that `actor` (a user, or None for the system) did `action` to `target`, and why."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else "system")[:254],
        action=action[:64],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        reason=reason,
        details=details or {},
    )
