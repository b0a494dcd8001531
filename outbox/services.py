"""The outbox: an email rendered in a request is owed (a row), sent by a task after commit, swept if lost.

A request never waits on SMTP: a dead or slow relay delays these emails, it never fails or blocks the
request that owed them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboundEmail
from quitgpt.claims import claim_free, claimer_pid
from quitgpt.smtp import CommitRefused, commit_point

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
SWEEP_GRACE = timedelta(minutes=1)
# A code or a notice is worthless after a day; past it an owed email is dropped by the sweep.
GIVE_UP_AFTER = timedelta(days=1)


def _enqueue(pk: int) -> None:
    from quitgpt.background import enqueue

    enqueue("outbox.tasks.send_outbound_email", pk)  # the broker down: logged; the sweep sends it


def outbox_owe(*, message: EmailMessage) -> OutboundEmail:
    """Record `message` as owed and enqueue its sending after the current transaction commits."""
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                html = content
    row = OutboundEmail.objects.create(
        to=", ".join(message.to),
        subject=message.subject,
        text=message.body,
        html=html,
        headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    )
    transaction.on_commit(lambda: _enqueue(row.pk), robust=True)
    return row


def outbox_send(*, pk: int) -> bool:
    """Send one owed email, once: claimed by a conditional UPDATE, stamped `WHERE sent_at IS NULL`.

    The stamp is the commit point of `quitgpt.smtp`: production's SMTP backend writes it (and erases the
    body) just before the final dot of DATA, and restores the row if the relay refuses the message;
    other backends are stamped after the send. Raises if SMTP fails before that point (the claim is
    released, the task retries, the sweep catches up)."""
    now = timezone.now()
    pid = claimer_pid()
    claimed = (
        OutboundEmail.objects.filter(pk=pk, sent_at__isnull=True)
        .filter(claim_free(prefix="", now=now, timeout=CLAIM_TIMEOUT))
        .update(claimed_at=now, claimed_by=pid, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    row = OutboundEmail.objects.get(pk=pk)
    from django.conf import settings

    from quitgpt.mail import is_suppressed

    if all(is_suppressed(a) for a in row.to.split(",") if a.strip()):
        # Hard-bounced or complained: never mailed again (stamped so that the sweep forgets it).
        OutboundEmail.objects.filter(pk=pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), claimed_at=None, claimed_by=None, text="", html="", subject=""
        )
        return False

    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[a.strip() for a in row.to.split(",") if a.strip()],
        headers=row.headers,
        connection=get_connection(),
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    mine = OutboundEmail.objects.filter(pk=pk, sent_at__isnull=True, claimed_at=now, claimed_by=pid)

    def stamp() -> bool:
        # Sent: stamp it and erase the body (it may carry a sign-in code); conditional on this claim.
        return bool(
            mine.update(
                sent_at=timezone.now(), claimed_at=None, claimed_by=None, text="", html="", subject=""
            )
        )

    def undo() -> None:
        # The relay refused it after the stamp: owed again, with its body (still in memory).
        OutboundEmail.objects.filter(pk=pk).update(
            sent_at=None, text=row.text, html=row.html, subject=row.subject
        )

    try:
        with commit_point(commit=stamp, undo=undo) as point:
            message.send()
    except CommitRefused:
        return False  # another sender took the row over; it sends (the relay dropped this copy)
    except Exception:
        if point.state == "pending":
            mine.update(claimed_at=None, claimed_by=None)
        raise
    if point.state == "pending":  # a backend without the commit point
        stamp()
    return point.state != "undone"


def outbox_send_owed(*, limit: int = 500) -> int:
    """The sweep: send what is still owed after the grace period; drop what is older than a day."""
    now = timezone.now()
    OutboundEmail.objects.filter(sent_at__isnull=True, created_at__lt=now - GIVE_UP_AFTER).delete()
    # Sent rows are kept a week (counts for the admin), then deleted.
    OutboundEmail.objects.filter(sent_at__lt=now - timedelta(days=7)).delete()
    pks = list(
        OutboundEmail.objects.filter(sent_at__isnull=True, created_at__lt=now - SWEEP_GRACE)
        .filter(claim_free(prefix="", now=now, timeout=CLAIM_TIMEOUT))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in pks:
        try:
            sent += outbox_send(pk=pk)
        except Exception:
            logger.warning("outbound email %s failed again; the next sweep retries", pk, exc_info=True)
    return sent
