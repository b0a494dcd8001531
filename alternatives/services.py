"""Every write to the directory and the suggestion queue. Admin actions and views call these."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from alternatives.models import RESERVED_SLUGS, Alternative, Suggestion, SuggestionStatus
from quitgpt import ratelimit
from quitgpt.audit import audit_record

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(hours=1)
# The IP hash only serves the rate limit (one hour); it is kept a little longer to spot a flood in the
# queue, then erased.
IP_HASH_RETENTION = timedelta(days=1)


class SuggestionRateLimited(Exception):
    """Too many suggestions from one address in the window."""


def _save_with_history(alternative: Alternative, *, actor: Any, reason: str, fields: list[str]) -> None:
    # Saved one by one (not QuerySet.update) so that django-simple-history records each change with
    # its author and reason.
    alternative._history_user = actor if getattr(actor, "is_authenticated", False) else None
    alternative._change_reason = reason
    alternative.save(update_fields=[*fields, "updated_at"])


def alternative_save(*, alternative: Alternative, actor: Any, creating: bool, changed: list[str]) -> None:
    """Save an entry edited in the admin's form (the history records the edit through the admin).

    Publishing or unpublishing from the form is audited like the bulk actions: the audit log must show
    every change of what the public sees, whichever button made it."""
    with transaction.atomic():
        alternative.save()
        if "published" in changed or (creating and alternative.published):
            action = "alternative.publish" if alternative.published else "alternative.unpublish"
            audit_record(actor=actor, action=action, target=alternative)


def alternatives_set_published(*, alternatives: list[Alternative], published: bool, actor: Any) -> int:
    """Publish or unpublish entries; each change is kept in the history and the audit log."""
    changed = 0
    with transaction.atomic():
        for alternative in alternatives:
            if alternative.published == published:
                continue
            alternative.published = published
            action = "alternative.publish" if published else "alternative.unpublish"
            _save_with_history(alternative, actor=actor, reason=action, fields=["published"])
            audit_record(actor=actor, action=action, target=alternative)
            changed += 1
    return changed


def alternatives_mark_reviewed(*, alternatives: list[Alternative], actor: Any) -> int:
    """Record that an organiser checked the entries' details today: clears the public notice."""
    today = timezone.localdate()
    with transaction.atomic():
        for alternative in alternatives:
            alternative.last_reviewed = today
            alternative.needs_review = False
            _save_with_history(
                alternative,
                actor=actor,
                reason="alternative.review",
                fields=["last_reviewed", "needs_review"],
            )
            audit_record(actor=actor, action="alternative.review", target=alternative)
    return len(alternatives)


def _rate_limit_hit(*, ip_hash: str) -> bool:
    """Count this attempt against the address; True when it is over the hourly limit (quitgpt.ratelimit:
    a Redis counter, or the address's rows in the database when the cache is down)."""
    return ratelimit.over_limit(
        f"alternatives:suggest:{ip_hash}",
        limit=settings.ALTERNATIVES_SUGGESTIONS_PER_HOUR,
        window=int(RATE_WINDOW.total_seconds()),
        count_in_database=lambda: Suggestion.objects.filter(
            ip_hash=ip_hash, created_at__gte=timezone.now() - RATE_WINDOW
        ).count(),
    )


def suggestion_create(*, name: str, website: str, reason: str, language: str, ip_hash: str) -> Suggestion:
    """Queue a supporter's suggestion for moderation, within the per-address limit."""
    if _rate_limit_hit(ip_hash=ip_hash):
        raise SuggestionRateLimited
    return Suggestion.objects.create(
        name=name, website=website, reason=reason, language=language[:8], ip_hash=ip_hash
    )


def _free_slug(name: str) -> str:
    base = slugify(name)[:70] or "alternative"
    if base in RESERVED_SLUGS:
        base = f"{base}-app"
    slug, n = base, 2
    while Alternative.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def suggestion_accept(*, suggestion: Suggestion, actor: Any) -> Alternative | None:
    """Accept a new suggestion: create an unpublished draft entry for organisers to check and fill in.

    Returns the draft, or None if the suggestion was already reviewed.
    """
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.status != SuggestionStatus.NEW:
            return None
        draft = Alternative(
            name=locked.name, slug=_free_slug(locked.name), needs_review=True, published=False
        )
        draft._history_user = actor if getattr(actor, "is_authenticated", False) else None
        draft._change_reason = f"from suggestion #{locked.pk}"
        draft.save()
        locked.status = SuggestionStatus.ACCEPTED
        locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.reviewed_at = timezone.now()
        locked.alternative = draft
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "alternative", "updated_at"])
        audit_record(
            actor=actor, action="suggestion.accept", target=locked, details={"alternative": draft.pk}
        )
    return draft


def suggestion_reject(*, suggestion: Suggestion, actor: Any) -> bool:
    """Reject a new suggestion. False if it was already reviewed."""
    with transaction.atomic():
        updated = Suggestion.objects.filter(pk=suggestion.pk, status=SuggestionStatus.NEW).update(
            status=SuggestionStatus.REJECTED,
            reviewed_by=actor if getattr(actor, "is_authenticated", False) else None,
            reviewed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if updated:
            audit_record(actor=actor, action="suggestion.reject", target=suggestion)
    return bool(updated)


def suggestions_forget_ip_hashes(*, older_than: timedelta = IP_HASH_RETENTION) -> int:
    """Erase the IP hash of suggestions older than `older_than`. Idempotent; returns how many."""
    cutoff = timezone.now() - older_than
    return Suggestion.objects.filter(created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
