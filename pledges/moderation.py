"""Moderation by organisers, each call audited: spam, suspicion, restore, the wall, bulk invalidation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from pledges.models import Pledge, PledgeStatus, Supporter
from pledges.privacy import _iso
from pledges.supporters import _mark_dirty
from quitgpt.audit import audit_record


# --- Moderation (each call audited) --------------------------------------------------------------------
def _moderate(
    *, pledges: Iterable[Pledge], actor: Any, reason: str, action: str, changes: dict[str, Any], counts: bool
) -> int:
    done = 0
    with transaction.atomic():
        for pledge in pledges:
            Pledge.objects.filter(pk=pledge.pk).update(**changes)
            if counts:
                _mark_dirty([pledge.supporter_id])
            audit_record(actor=actor, action=action, target=pledge, reason=reason, details=_jsonable(changes))
            done += 1
    return done


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in changes.items()
    }


def pledge_mark_spam(
    *, pledges: Iterable[Pledge], actor: Any, reason: str = "", category: str = "spam"
) -> int:
    """Remove pledges from the count as spam (or, with `category="duplicates"`, as duplicates): the
    public record of removals (campaign.removals) gets one batch."""
    from campaign.removals import removals_watch

    targets = [p for p in pledges if p.status != PledgeStatus.SPAM]
    with removals_watch(category=category, supporter_ids=[p.supporter_id for p in targets]) as batch:
        batch.pledges = _moderate(
            pledges=targets,
            actor=actor,
            reason=reason,
            action="pledge.mark_spam" if category == "spam" else f"pledge.mark_{category}",
            changes={"status": PledgeStatus.SPAM, "email_owed": "", "email_owed_since": None},
            counts=True,
        )
    return batch.pledges


def pledge_mark_duplicate(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    """Remove pledges that duplicate another person's (e.g. one person with two mailboxes)."""
    return pledge_mark_spam(pledges=pledges, actor=actor, reason=reason, category="duplicates")


def pledge_clear_suspicion(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    # Decide from the rows as they are now, not as the caller last read them.
    targets = list(Pledge.objects.filter(pk__in=[p.pk for p in pledges], suspicious=True))
    return _moderate(
        pledges=targets,
        actor=actor,
        reason=reason,
        action="pledge.clear_suspicion",
        changes={"suspicious": False},
        counts=True,
    )


def pledge_restore(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    """Undo spam marking or a withdrawal: back to confirmed if it was, else pending. Erased pledges stay
    erased."""
    done = 0
    # Decide from the rows as they are now, not as the caller last read them.
    for pledge in Pledge.objects.filter(pk__in=[p.pk for p in pledges]):
        if pledge.status not in (PledgeStatus.SPAM, PledgeStatus.WITHDRAWN) or not pledge.email:
            continue
        status = PledgeStatus.CONFIRMED if pledge.confirmed_at else PledgeStatus.PENDING
        done += _moderate(
            pledges=[pledge],
            actor=actor,
            reason=reason,
            action="pledge.restore",
            changes={"status": status, "withdrawn_at": None},
            counts=True,
        )
    return done


def _moderate_person(
    *, pledges: Iterable[Pledge], actor: Any, reason: str, action: str, approved: bool
) -> int:
    """Approve or hide the person's wall entry (their name, country and message are the supporter's, so
    the decision covers all their pledges). Audited on each pledge selected."""
    done = 0
    with transaction.atomic():
        for pledge in pledges:
            Supporter.objects.filter(pk=pledge.supporter_id).update(message_approved=approved)
            audit_record(
                actor=actor,
                action=action,
                target=pledge,
                reason=reason,
                details={"message_approved": approved},
            )
            done += 1
    return done


def pledge_approve_wall(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    return _moderate_person(
        pledges=list(pledges), actor=actor, reason=reason, action="pledge.approve_wall", approved=True
    )


def pledge_hide_wall(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    return _moderate_person(
        pledges=list(pledges), actor=actor, reason=reason, action="pledge.hide_wall", approved=False
    )


def invalidation_queryset(
    *, domain: str = "", ip_hash: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[Pledge]:
    """Pledges that a bulk invalidation with these criteria would mark as spam (at least one criterion)."""
    domain = domain.strip().lower().lstrip("@")
    ip_hash = ip_hash.strip().lower()
    if not (domain or ip_hash or since or until):
        return Pledge.objects.none()
    qs = Pledge.objects.exclude(status=PledgeStatus.SPAM)
    if domain:
        qs = qs.filter(email_normalised__endswith=f"@{domain}") | qs.filter(
            email_normalised__endswith=f".{domain}"
        )
    if ip_hash:
        qs = qs.filter(ip_hash=ip_hash)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


def pledges_invalidate(
    *,
    actor: Any,
    reason: str,
    domain: str = "",
    ip_hash: str = "",
    since: date | None = None,
    until: date | None = None,
) -> int:
    """Mark as spam, in bulk, the pledges matching the criteria; one audit entry records the criteria,
    the reason and the count."""
    if not reason.strip():
        raise ValueError("a reason is required")
    from campaign.removals import removals_watch

    with transaction.atomic():
        qs = invalidation_queryset(domain=domain, ip_hash=ip_hash, since=since, until=until)
        ids = list(qs.values_list("pk", flat=True))
        supporter_ids = list(Pledge.objects.filter(pk__in=ids).values_list("supporter_id", flat=True))
        with removals_watch(category="invalidation", supporter_ids=supporter_ids) as batch:
            count = batch.pledges = Pledge.objects.filter(pk__in=ids).update(
                status=PledgeStatus.SPAM, email_owed="", email_owed_since=None
            )
        _mark_dirty(supporter_ids)
        audit_record(
            actor=actor,
            action="pledges.invalidate",
            reason=reason,
            details={
                "domain": domain,
                "ip_hash": ip_hash,
                "since": _iso(since),
                "until": _iso(until),
                "count": count,
                "pledge_ids": ids[:1000],
            },
        )
    return count
