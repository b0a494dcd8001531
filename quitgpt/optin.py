"""Double opt-in machinery shared by pledges and event RSVPs.

A row that needs an email carries what is *owed* (`email_owed`, e.g. "confirm"); the sending task
claims the row with a conditional UPDATE, mints a fresh token (stored only as a hash), sends, then
stamps the row. Two senders can never both send, a crashed sender's claim expires, and a periodic sweep
re-sends whatever is still owed, so nothing is lost when the broker or a worker is down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from quitgpt.tokens import MAX_TOKEN_LENGTH, hash_token, new_token

logger = logging.getLogger(__name__)

MAX_EMAILS = 5
TOKEN_LIFETIME = timedelta(days=7)
# A sender that claimed a row and vanished (worker killed) gives it up after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)
# The sweep leaves fresh rows to the task enqueued on commit.
SWEEP_GRACE = timedelta(minutes=1)


class DoubleOptIn(models.Model):
    """Fields for a row confirmed by a link sent by email. Subclasses add the email address."""

    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_owed = models.CharField(max_length=20, blank=True, default="", editable=False)
    email_owed_since = models.DateTimeField(null=True, blank=True, editable=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    emails_sent = models.PositiveSmallIntegerField(default=0, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(emails_sent__lte=MAX_EMAILS), name="%(app_label)s_%(class)s_emails_capped"
            ),
        ]
        indexes = [
            models.Index(fields=["token_hash"], name="%(app_label)s_%(class)s_token"),
            models.Index(
                fields=["email_owed_since"],
                name="%(app_label)s_%(class)s_owed",
                condition=~Q(email_owed=""),
            ),
        ]


M = TypeVar("M", bound=DoubleOptIn)


def owe_email(model: type[DoubleOptIn], *, pk: int, kind: str) -> bool:
    """Record that `kind` email is owed to the row, unless its email budget is spent. True if owed."""
    return bool(
        model.objects.filter(pk=pk, emails_sent__lt=MAX_EMAILS).update(
            email_owed=kind, email_owed_since=timezone.now()
        )
    )


def send_owed_email(
    model: type[M],
    *,
    pk: int,
    send: Callable[[M, str, str | None], None],
    token_kinds: Iterable[str] = ("confirm",),
) -> bool:
    """Claim the row, send what it is owed through `send(obj, kind, raw_token)`, and stamp it.

    Returns False when nothing was owed or another sender holds the claim. If `send` raises, the claim
    is released and the exception propagates, so the caller's retry (or the sweep) tries again.
    """
    now = timezone.now()
    claimed = (
        model.objects.filter(pk=pk, emails_sent__lt=MAX_EMAILS)
        .exclude(email_owed="")
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(email_claimed_at=now)
    )
    if not claimed:
        return False
    obj = model.objects.get(pk=pk)
    kind = obj.email_owed
    raw: str | None = None
    if kind in set(token_kinds):
        raw = new_token()
        model.objects.filter(pk=pk).update(token_hash=hash_token(raw), token_expires_at=now + TOKEN_LIFETIME)
    try:
        send(obj, kind, raw)
    except Exception:
        model.objects.filter(pk=pk, email_claimed_at=now).update(email_claimed_at=None)
        raise
    model.objects.filter(pk=pk, email_claimed_at=now).update(
        email_owed="", email_owed_since=None, email_claimed_at=None, emails_sent=F("emails_sent") + 1
    )
    return True


def owed_pks(model: type[DoubleOptIn], *, limit: int = 500, grace: timedelta = SWEEP_GRACE) -> list[int]:
    """Rows whose email is still owed after the grace period and not held by a live sender. (A grace of
    zero: every owed row, for a sender that batches instead of a task per row.)"""
    now = timezone.now()
    return list(
        model.objects.exclude(email_owed="")
        .filter(email_owed_since__lte=now - grace, emails_sent__lt=MAX_EMAILS)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("email_owed_since")
        .values_list("pk", flat=True)[:limit]
    )


def find_by_token(queryset: models.QuerySet[M], raw: str) -> M | None:
    """The row whose live token is `raw`, or None (unknown, replaced or expired)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return queryset.filter(token_hash=hash_token(raw), token_expires_at__gt=timezone.now()).first()


# --- the one sweep, over every registered owner ----------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """A model whose rows are owed emails, and the service that sends one row's owed email."""

    model: type[DoubleOptIn]
    send: Callable[[int], bool]


_owners: dict[str, Owner] = {}


def register_owner(name: str, *, model: type[DoubleOptIn], send: Callable[[int], bool]) -> None:
    """Enrol `model` in the sweep; call it from the app's `AppConfig.ready()`. `send(pk)` sends what the
    row is owed (claim, send, stamp: usually a service wrapping `send_owed_email`)."""
    _owners[name] = Owner(model=model, send=send)


def sweep_owed(*, limit: int = 500) -> int:
    """Send every email still owed, for every registered owner (the broker was down, a worker died).

    Each row is sent through its owner's `send`, which claims it first, so a sweep racing the task
    enqueued on commit sends once. A failing row is logged and left owed for the next sweep; the others
    go on. Returns how many emails were sent."""
    sent = 0
    for name, owner in _owners.items():
        for pk in owed_pks(owner.model, limit=limit):
            try:
                sent += bool(owner.send(pk))
            except Exception:
                logger.exception("sending the email owed to %s %s failed; the next sweep retries", name, pk)
    return sent
