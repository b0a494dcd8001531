"""Double opt-in machinery shared by pledges and event RSVPs.

A row that needs an email carries what is *owed* (`email_owed`, e.g. "confirm"); the sending task
claims the row with a conditional UPDATE, takes the token of the row's current request (stored only as
a hash), sends, then stamps the row. One request has one token, derived from SECRET_KEY, the row and the
request's expiry (`request_token`): every email of that request (a double submit, a re-send, a sender
killed mid-send and swept later) carries the same link, so every link sent stays valid until it expires
or is used; a request starts when the previous one has expired, with a fresh budget of emails. Two
senders can never both send, and a periodic sweep re-sends whatever is still owed, so nothing is lost
when the broker or a worker is down.

The stamp is the commit point of the SMTP dialogue (`quitgpt.smtp`): production's backend writes it just
before DATA's final dot, when the relay is about to own the message, so a worker killed after that point
has sent its email (never sent again) and one killed before it has not (sent again, once). A killed
sender's claim is taken over as soon as its database connection is gone (`quitgpt.claims`), else after
CLAIM_TIMEOUT.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TypeVar

from django.db import models
from django.db.models import Case, F, Q, Value, When, Window
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.utils import timezone

from quitgpt.claims import claim_free, claimer_pid
from quitgpt.mail import one_connection
from quitgpt.smtp import CommitRefused, commit_point
from quitgpt.tokens import MAX_TOKEN_LENGTH, hash_token, keyed_token

logger = logging.getLogger(__name__)

MAX_EMAILS = 5
TOKEN_LIFETIME = timedelta(days=7)
# A sender that claimed a row and vanished gives it up after this long; sooner when its database
# connection is gone (a killed worker: quitgpt.claims).
CLAIM_TIMEOUT = timedelta(minutes=10)
# The sweep leaves fresh rows to the task enqueued on commit.
SWEEP_GRACE = timedelta(minutes=1)
# Emails one client (an IPv4 address or an IPv6 /64) may have sent per sweep (every minute): 200 people
# behind one carrier address all have theirs within about seven minutes.
SWEEP_PER_CLIENT = 30


class DoubleOptIn(models.Model):
    """Fields for a row confirmed by a link sent by email. Subclasses add the email address."""

    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_owed = models.CharField(max_length=20, blank=True, default="", editable=False)
    email_owed_since = models.DateTimeField(null=True, blank=True, editable=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The PostgreSQL backend pid of the claiming sender's connection (quitgpt.claims): a claim whose
    # connection is gone is taken over at once instead of after CLAIM_TIMEOUT.
    email_claimed_by = models.PositiveIntegerField(null=True, blank=True, editable=False)
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


def _budget_left(now) -> Q:
    """Rows that may be sent one more email: the current request's budget is not spent, or the request
    has expired (the next email starts a new one). A stranger can spend a request's emails, but each of
    them carries the owner's live link, and the budget comes back with the next request."""
    return Q(emails_sent__lt=MAX_EMAILS) | Q(token_expires_at__isnull=True) | Q(token_expires_at__lte=now)


def request_token(model: type[DoubleOptIn], pk: int, expires_at) -> str:
    """The token of one request of one row: the same for every email of the request, 256 bits."""
    stamp = expires_at.astimezone(UTC).isoformat()
    return keyed_token("quitgpt.optin", f"{model._meta.label_lower}:{pk}:{stamp}")


def _current_token(model: type[M], obj: M, now) -> str:
    """The live request's token, or a new request (a new expiry, a fresh email budget) if none is live.
    A live token whose hash is not the derived one (minted before tokens were derived) is replaced."""
    expires = obj.token_expires_at
    if expires is not None and expires > now:
        raw = request_token(model, obj.pk, expires)
        if hash_token(raw) == obj.token_hash:
            return raw
    expires = now + TOKEN_LIFETIME
    raw = request_token(model, obj.pk, expires)
    model.objects.filter(pk=obj.pk).update(
        token_hash=hash_token(raw), token_expires_at=expires, emails_sent=0
    )
    return raw


def owe_email(model: type[DoubleOptIn], *, pk: int, kind: str) -> bool:
    """Record that `kind` email is owed to the row, unless its email budget is spent. True if owed."""
    now = timezone.now()
    return bool(model.objects.filter(_budget_left(now), pk=pk).update(email_owed=kind, email_owed_since=now))


def send_owed_email(
    model: type[M],
    *,
    pk: int,
    send: Callable[[M, str, str | None], None],
    token_kinds: Iterable[str] = ("confirm",),
    queryset: models.QuerySet[M] | None = None,
) -> bool:
    """Claim the row, send what it is owed through `send(obj, kind, raw_token)`, and stamp it. The row
    is read from `queryset` once claimed (the model's default manager unless given: a `select_related`
    saves `send` a query).

    The stamp (nothing owed, one more email sent, the claim released) is the commit point of
    `quitgpt.smtp`: production's SMTP backend writes it just before the final dot of DATA, and owes the
    email again if the relay then refuses it; other backends (locmem, console) are stamped after
    `send` returns. Returns False when nothing was owed or another sender holds the claim (or took it
    over). If `send` raises before the commit point, the claim is released and the exception
    propagates, so the caller's retry (or the sweep) tries again.
    """
    now = timezone.now()
    pid = claimer_pid()
    token_kinds = tuple(token_kinds)
    # Without a live request, the claim starts the next one in the same statement (one commit less per
    # email): its expiry, a fresh budget and, for an email with a link, the token's hash (derived from
    # the row and the expiry, so computed here before the claim). A live request is left as it is.
    expires = now + TOKEN_LIFETIME
    no_live_request = Q(token_expires_at__isnull=True) | Q(token_expires_at__lte=now)
    claimed = (
        model.objects.filter(_budget_left(now), pk=pk)
        .exclude(email_owed="")
        .filter(claim_free(prefix="email_", now=now, timeout=CLAIM_TIMEOUT))
        .update(
            email_claimed_at=now,
            email_claimed_by=pid,
            token_hash=Case(
                When(
                    no_live_request & Q(email_owed__in=token_kinds),
                    then=Value(hash_token(request_token(model, pk, expires))),
                ),
                default=F("token_hash"),
            ),
            token_expires_at=Case(When(no_live_request, then=Value(expires)), default=F("token_expires_at")),
            emails_sent=Case(
                When(no_live_request, then=Value(0)),
                default=F("emails_sent"),
                output_field=models.PositiveSmallIntegerField(),
            ),
        )
    )
    if not claimed:
        return False
    obj = (model.objects.all() if queryset is None else queryset).get(pk=pk)
    kind = obj.email_owed
    raw: str | None = None
    if kind in token_kinds:
        raw = _current_token(model, obj, now)  # the request the claim started or found live
    mine = model.objects.filter(pk=pk, email_claimed_at=now, email_claimed_by=pid)

    def stamp() -> bool:
        # Conditional on this sender's claim: of two senders (one took a dead-looking claim over), one.
        return bool(
            mine.update(
                email_owed="",
                email_owed_since=None,
                email_claimed_at=None,
                email_claimed_by=None,
                emails_sent=F("emails_sent") + 1,
            )
        )

    def undo() -> None:
        # The relay refused the message after the stamp: owe it again (unless owed again meanwhile).
        model.objects.filter(pk=pk).update(
            email_owed=Case(When(email_owed="", then=Value(kind)), default=F("email_owed")),
            email_owed_since=Coalesce(F("email_owed_since"), Value(obj.email_owed_since or now)),
            emails_sent=Greatest(F("emails_sent") - 1, Value(0)),
        )

    try:
        with commit_point(commit=stamp, undo=undo) as point:
            send(obj, kind, raw)
    except CommitRefused:
        return False  # another sender took the row over; it sends (the relay dropped this copy)
    except Exception:
        if point.state == "pending":
            mine.update(email_claimed_at=None, email_claimed_by=None)
        raise
    if point.state == "pending":  # a backend without the commit point, or nothing was sent
        stamp()
    return point.state != "undone"


def owed_pks(
    model: type[DoubleOptIn],
    *,
    limit: int = 500,
    grace: timedelta = SWEEP_GRACE,
    per_client: int = SWEEP_PER_CLIENT,
) -> list[int]:
    """Rows whose email is still owed after the grace period and not held by a live sender, oldest
    first (a grace of zero: every owed row, for a sender that batches instead of a task per row); for a
    model with an `ip_hash`, at most `per_client` per client in one call, so that a flood from one client
    is sent at a bounded rate without holding back anyone else's email."""
    now = timezone.now()
    rows = (
        model.objects.exclude(email_owed="")
        .filter(_budget_left(now), email_owed_since__lte=now - grace)
        .filter(claim_free(prefix="email_", now=now, timeout=CLAIM_TIMEOUT))
    )
    if any(f.name == "ip_hash" for f in model._meta.concrete_fields):
        rows = rows.annotate(
            rank=Window(RowNumber(), partition_by=[F("ip_hash")], order_by=[F("email_owed_since"), F("pk")])
        ).filter(rank__lte=per_client)
    return list(rows.order_by("email_owed_since", "pk").values_list("pk", flat=True)[:limit])


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
    with one_connection():  # one connection to the relay for the sweep
        for name, owner in _owners.items():
            for pk in owed_pks(owner.model, limit=limit):
                try:
                    sent += bool(owner.send(pk))
                except Exception:
                    logger.exception(
                        "sending the email owed to %s %s failed; the next sweep retries", name, pk
                    )
    return sent
