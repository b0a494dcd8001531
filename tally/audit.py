"""The sampled re-confirmation audit: people counted are drawn at random with a seed everyone could see
beforehand (the root hash of a named signed head), asked by email to confirm again, and the response
rate is published on "How we count" after the deadline (the EU citizens' initiative's method for
certifying signatures, applied here).

The draw is reproducible by anyone from the public log alone: the population is every commitment whose
entries up to the head sum to 1, ranked by SHA-256("quitgpt-audit-v1:" + seed + ":" + commitment); the
sample is the `size` smallest. We then email the people behind those commitments (we alone know who).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation

from pledges.models import Pledge, PledgeStatus, Supporter
from quitgpt.mail import send_templated_email
from quitgpt.optin import TOKEN_LIFETIME, find_by_token, owe_email, owed_pks, send_owed_email
from tally.audit_models import AuditSample, AuditSampleMember
from tally.log_models import LogEntry, SignedTreeHead
from tally.models import SupporterTally

logger = logging.getLogger(__name__)

RANK_PREFIX = "quitgpt-audit-v1:"
MAX_DAYS = TOKEN_LIFETIME.days  # the link must live until the deadline


class AuditError(ValueError):
    pass


def sample_rank(seed: str, commitment: str) -> str:
    return hashlib.sha256(f"{RANK_PREFIX}{seed}:{commitment}".encode()).hexdigest()


def population_at(tree_size: int) -> list[str]:
    """Commitments counted by the log at `tree_size` (their entries below it sum to 1)."""
    rows = (
        LogEntry.objects.filter(index__lt=tree_size)
        .values("commitment")
        .annotate(total=Sum("delta"))
        .filter(total=1)
        .values_list("commitment", flat=True)
    )
    return list(rows)


def sample_draw(seed: str, population: list[str], size: int) -> list[str]:
    return sorted(population, key=lambda c: sample_rank(seed, c))[:size]


def _contact(supporter: Supporter) -> tuple[str, str]:
    """(email, language) to reach a supporter: their latest confirmed pledge's address."""
    pledge = (
        Pledge.objects.filter(supporter=supporter, status=PledgeStatus.CONFIRMED)
        .exclude(email="")
        .order_by("-confirmed_at", "-id")
        .first()
    )
    if pledge is None:
        return "", settings.LANGUAGE_CODE
    language = supporter.language or settings.LANGUAGE_CODE  # the person's details live on the supporter
    return pledge.email, language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def audit_sample_create(*, size: int, head_tree_size: int | None = None, days: int = MAX_DAYS) -> AuditSample:
    """Draw `size` people counted at the named head (default: the latest), owe each a re-confirmation
    email, and set the deadline `days` from now."""
    if size < 1:
        raise AuditError("the sample size must be at least 1")
    if not 1 <= days <= MAX_DAYS:
        raise AuditError(f"the deadline must be 1 to {MAX_DAYS} days away (the link's lifetime)")
    heads = SignedTreeHead.objects.order_by("-tree_size")
    head = heads.filter(tree_size=head_tree_size).first() if head_tree_size is not None else heads.first()
    if head is None:
        raise AuditError("no signed head of that size: name one listed on /api/log/heads")
    population = population_at(head.tree_size)
    chosen = sample_draw(head.root_hash, population, size)
    by_commitment = {s.receipt_commitment: s for s in Supporter.objects.filter(receipt_commitment__in=chosen)}
    still_counted = set(
        SupporterTally.objects.filter(supporter__in=by_commitment.values(), counted=True).values_list(
            "supporter_id", flat=True
        )
    )
    with transaction.atomic():
        sample = AuditSample.objects.create(
            head_tree_size=head.tree_size,
            seed=head.root_hash,
            size=size,
            population=len(population),
            deadline=timezone.now() + timedelta(days=days),
        )
        members = []
        for commitment in chosen:
            supporter = by_commitment.get(commitment)
            if supporter is None or supporter.pk not in still_counted:
                continue  # erased or withdrawn since the head: nobody to ask
            email, language = _contact(supporter)
            if not email:
                continue
            members.append(
                AuditSampleMember.objects.create(
                    sample=sample, supporter=supporter, commitment=commitment, email=email, language=language
                )
            )
        for member in members:
            owe_email(AuditSampleMember, pk=member.pk, kind="audit")
        ids = [m.pk for m in members]
        transaction.on_commit(lambda: _enqueue(ids))
    return sample


def _enqueue(ids: list[int]) -> None:
    from tally.tasks import send_audit_email

    for pk in ids:
        send_audit_email.delay(pk)


def _send_audit_email(member: AuditSampleMember, kind: str, raw_token: str | None) -> None:
    if kind != "audit" or raw_token is None or not member.email or member.confirmed_at is not None:
        return
    with translation.override(member.language):
        url = settings.SITE_URL + reverse("tally:audit_confirm", kwargs={"token": raw_token})
    send_templated_email(
        template="tally/email/audit",
        to=member.email,
        context={"confirm_url": url, "deadline": member.sample.deadline},
        language=member.language,
    )


def audit_send_email(*, member_id: int) -> bool:
    """Send the re-confirmation owed to a sampled person (claim, send, stamp: see quitgpt.optin)."""
    return send_owed_email(AuditSampleMember, pk=member_id, send=_send_audit_email, token_kinds=("audit",))


def audit_send_owed(*, limit: int = 500) -> int:
    sent = 0
    for pk in owed_pks(AuditSampleMember, limit=limit):
        try:
            sent += audit_send_email(member_id=pk)
        except Exception:
            logger.exception("sending the audit email of member %s failed; the next sweep retries", pk)
    return sent


def audit_member_by_token(raw: str) -> AuditSampleMember | None:
    return find_by_token(AuditSampleMember.objects.select_related("sample"), raw)


def audit_confirm(*, token: str) -> AuditSampleMember | None:
    """Record a sampled person's answer, once. None if the link is unknown or expired."""
    member = audit_member_by_token(token)
    if member is None:
        return None
    AuditSampleMember.objects.filter(pk=member.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    member.refresh_from_db()
    return member


def audit_results() -> list[dict[str, Any]]:
    """Every sample, with its response rate once its deadline has passed (answers after it don't count)."""
    now = timezone.now()
    results = []
    samples = AuditSample.objects.annotate(
        asked=Count("members"),
        answered=Count("members", filter=Q(members__confirmed_at__lte=F("deadline"))),
    ).order_by("-created_at")[:10]
    for sample in samples:  # one query, whatever the number of samples and members
        asked = sample.asked
        closed = sample.deadline <= now
        responded = sample.answered if closed else None
        results.append(
            {
                "sample": sample,
                "asked": asked,
                "closed": closed,
                "responded": responded,
                "rate": round(100 * responded / asked, 1) if closed and asked else None,
            }
        )
    return results
