"""Every write about events and RSVPs. Views, the admin, tasks and commands call these functions.

Seats: confirming or cancelling an RSVP locks the event row (`SELECT ... FOR UPDATE`) before counting the
confirmed RSVPs, so concurrent confirmations queue on that lock and can never overbook; whoever finds the
event full joins the waitlist, in order of confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from events.links import rsvp_cancel_token
from events.models import Event, EventStatus, Rsvp, RsvpStatus
from quitgpt import ratelimit
from quitgpt.audit import audit_record
from quitgpt.background import enqueue_on_commit
from quitgpt.emails import normalise_email
from quitgpt.i18n import supported_language
from quitgpt.mail import send_templated_email
from quitgpt.optin import owe_email, send_owed_email

logger = logging.getLogger(__name__)

# The emails an RSVP can be owed (templates/events/email/<kind>*). Only "confirm" carries a fresh token.
EMAIL_KINDS = ("confirm", "promoted", "reminder", "changed")
# A change to any of these is news for the people coming: they get an email and calendars a new SEQUENCE.
NOTIFY_FIELDS = ("starts_at", "ends_at", "timezone", "venue", "address", "city", "country")
NOTIFY_STATUSES = (EventStatus.POSTPONED, EventStatus.CANCELLED)
TRACKED_FIELDS = (*NOTIFY_FIELDS, "status", "capacity", "published", "details_to_confirm")


# The task that sends an RSVP's owed email (named, not imported: tasks import this module).
SEND_TASK = "events.tasks.send_rsvp_email"
# EVENTS_RSVPS_PER_IP_PER_HOUR counts RSVPs from one client address in this window.
RSVP_RATE_WINDOW = timedelta(hours=1)


class RsvpClosed(Exception):
    """The event has ended, is cancelled or is not published: it takes no RSVP."""


def _owe(rsvp_id: int, kind: str) -> bool:
    if owe_email(Rsvp, pk=rsvp_id, kind=kind):
        # A broker outage is logged, never raised: the email stays owed and the sweep sends it.
        enqueue_on_commit(SEND_TASK, rsvp_id)
        return True
    return False


# --- RSVPs ----------------------------------------------------------------------------------------------
def rsvp_create(
    *, event: Event, email: str, name: str = "", language: str = "en", ip_hash: str = ""
) -> Rsvp | None:
    """Ask `email` to confirm their RSVP. The caller answers the same whatever happens here.

    A second RSVP from the same mailbox re-sends the confirmation while it is pending (or revives a
    cancelled one) and changes nothing once confirmed. None when dropped silently (flood from one IP).
    """
    if not event.accepts_rsvps():
        raise RsvpClosed
    normalised = normalise_email(email)
    if ip_hash and ratelimit.over_limit(
        f"events:rsvp:{ip_hash}",
        limit=settings.EVENTS_RSVPS_PER_IP_PER_HOUR,
        window=int(RSVP_RATE_WINDOW.total_seconds()),
        count_in_database=lambda: Rsvp.objects.filter(
            ip_hash=ip_hash, created_at__gte=timezone.now() - RSVP_RATE_WINDOW
        ).count(),
    ):
        logger.warning("RSVP flood from one address hash: dropped")
        return None
    language = supported_language(language)
    with transaction.atomic():
        rsvp, created = Rsvp.objects.get_or_create(
            event=event,
            email_normalised=normalised,
            defaults={
                "email": email,
                "name": name,
                "language": language,
                "ip_hash": ip_hash,
                "notified_sequence": event.sequence,
            },
        )
        if not created:
            rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk)
            if rsvp.status in (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED):
                return rsvp
            rsvp.email, rsvp.name, rsvp.language = email, name or rsvp.name, language
            rsvp.status = RsvpStatus.PENDING
            rsvp.confirmed_at = rsvp.cancelled_at = rsvp.reminded_at = None
            rsvp.save(
                update_fields=["email", "name", "language", "status", "confirmed_at", "cancelled_at",
                               "reminded_at", "updated_at"]
            )  # fmt: skip
        _owe(rsvp.pk, "confirm")
    return rsvp


def rsvp_send_owed_email(*, rsvp_id: int) -> bool:
    """Send whatever email the RSVP is owed (claim, send, stamp: see quitgpt.optin)."""
    return send_owed_email(Rsvp, pk=rsvp_id, send=_send_rsvp_email, token_kinds=("confirm",))


def _send_rsvp_email(rsvp: Rsvp, kind: str, raw_token: str | None) -> None:
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown RSVP email {kind!r}")
    event = rsvp.event
    with translation.override(rsvp.language):
        event_url = settings.SITE_URL + reverse("events:detail", kwargs={"slug": event.slug})
        cancel_url = settings.SITE_URL + reverse(
            "events:rsvp_cancel", kwargs={"pk": rsvp.pk, "token": rsvp_cancel_token(rsvp=rsvp)}
        )
        confirm_url = (
            settings.SITE_URL + reverse("events:rsvp_confirm", kwargs={"token": raw_token})
            if raw_token
            else ""
        )
    ics_url = settings.SITE_URL + reverse("events_api:ics", kwargs={"slug": event.slug})
    send_templated_email(
        template=f"events/email/{kind}",
        to=rsvp.email,
        language=rsvp.language,
        context={
            "rsvp": rsvp,
            "event": event,
            "event_url": event_url,
            "cancel_url": cancel_url,
            "confirm_url": confirm_url,
            "ics_url": ics_url,
        },
    )


def _lock_event_of(rsvp_id: int) -> Event:
    event_id = Rsvp.objects.values_list("event_id", flat=True).get(pk=rsvp_id)
    return Event.objects.select_for_update().get(pk=event_id)


def _seats_left(event: Event) -> int | None:
    """Free seats (None: no limit). Call with the event row locked."""
    if event.capacity is None:
        return None
    taken = Rsvp.objects.filter(event=event, status=RsvpStatus.CONFIRMED).count()
    return max(event.capacity - taken, 0)


def _promote_waitlist(event: Event) -> list[int]:
    """Give free seats to the waitlist, first come first served, and email them. Event row locked."""
    if not event.accepts_rsvps():
        return []
    left = _seats_left(event)
    waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).order_by("confirmed_at", "pk")
    if left is not None:
        if left == 0:
            return []
        waiting = waiting[:left]
    promoted = list(waiting.values_list("pk", flat=True))
    if promoted:
        Rsvp.objects.filter(pk__in=promoted).update(status=RsvpStatus.CONFIRMED, updated_at=timezone.now())
        for pk in promoted:
            _owe(pk, "promoted")
    return promoted


def rsvp_confirm(*, rsvp_id: int) -> Rsvp:
    """Confirm a pending RSVP: a seat if one is left, else the waitlist. Harmless to repeat."""
    with transaction.atomic():
        event = _lock_event_of(rsvp_id)
        rsvp = Rsvp.objects.select_for_update().get(pk=rsvp_id)
        if rsvp.status == RsvpStatus.PENDING and event.accepts_rsvps():
            _promote_waitlist(event)  # nobody jumps the queue if seats were added
            left = _seats_left(event)
            rsvp.status = RsvpStatus.CONFIRMED if left is None or left > 0 else RsvpStatus.WAITLISTED
            rsvp.confirmed_at = timezone.now()
            rsvp.notified_sequence = event.sequence
            rsvp.save(update_fields=["status", "confirmed_at", "notified_sequence", "updated_at"])
    rsvp.event = event
    return rsvp


def rsvp_cancel(*, rsvp_id: int, actor: Any | None = None) -> Rsvp:
    """Cancel an RSVP; a freed seat goes to the first on the waitlist. Harmless to repeat."""
    with transaction.atomic():
        event = _lock_event_of(rsvp_id)
        rsvp = Rsvp.objects.select_for_update().get(pk=rsvp_id)
        if rsvp.status != RsvpStatus.CANCELLED:
            had_seat = rsvp.status == RsvpStatus.CONFIRMED
            rsvp.status = RsvpStatus.CANCELLED
            rsvp.cancelled_at = timezone.now()
            # Nothing more is owed to someone who left (a confirmation still unsent, a reminder).
            rsvp.email_owed, rsvp.email_owed_since = "", None
            rsvp.save(
                update_fields=["status", "cancelled_at", "email_owed", "email_owed_since", "updated_at"]
            )
            if actor is not None:
                audit_record(actor=actor, action="events.rsvp_cancel", target=rsvp)
            if had_seat:
                _promote_waitlist(event)
    rsvp.event = event
    return rsvp


def rsvp_waitlist_position(*, rsvp: Rsvp) -> int | None:
    """1 for the first in line; None when not on the waitlist."""
    if rsvp.status != RsvpStatus.WAITLISTED:
        return None
    ahead = Rsvp.objects.filter(
        event_id=rsvp.event_id, status=RsvpStatus.WAITLISTED, confirmed_at__lt=rsvp.confirmed_at
    ).count()
    return ahead + 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def rsvp_export(*, rsvps: Iterable[Rsvp], actor: Any | None = None) -> list[dict[str, Any]]:
    """Everything we keep about these RSVPs, as JSON-ready data (the person's own export: no audit entry;
    an organiser exporting for someone passes `actor` and is audited)."""
    rsvps = list(rsvps)
    data = [
        {
            "event": {
                "slug": rsvp.event.slug,
                "title": rsvp.event.title,
                "starts_at": _iso(rsvp.event.starts_at),
                "timezone": rsvp.event.timezone,
            },
            "email": rsvp.email,
            "email_normalised": rsvp.email_normalised,
            "name": rsvp.name,
            "language": rsvp.language,
            "status": rsvp.status,
            "ip_hash": rsvp.ip_hash,
            "emails_sent": rsvp.emails_sent,
            "created_at": _iso(rsvp.created_at),
            "confirmed_at": _iso(rsvp.confirmed_at),
            "cancelled_at": _iso(rsvp.cancelled_at),
            "reminded_at": _iso(rsvp.reminded_at),
        }
        for rsvp in rsvps
    ]
    if actor is not None:
        audit_record(actor=actor, action="events.rsvp_export", details={"count": len(data)})
    return data


def rsvp_erase(*, rsvps: Iterable[Rsvp], actor: Any | None = None, reason: str = "") -> int:
    """Erase these RSVPs: cancel each first (its seat goes to the waitlist, as with any cancellation), then
    delete the rows. Returns how many were erased.

    Deleted, not anonymised (unlike pledges): a cancelled RSVP counts for nothing (seats and the event's
    numbers count confirmed and waitlisted RSVPs only), so an anonymous row would serve no purpose, and
    the unique (event, mailbox) constraint would need a placeholder key. The person's own erasure is not
    audited (as with pledges); an organiser's is, without the address.
    """
    # One event at a time, in a fixed order, so that two erasures never wait on each other's event locks.
    ids = [r.pk for r in sorted(rsvps, key=lambda r: (r.event_id, r.pk))]
    with transaction.atomic():
        for pk in ids:
            try:
                rsvp = rsvp_cancel(rsvp_id=pk)
            except Rsvp.DoesNotExist:  # erased meanwhile (a second click): nothing left to do
                continue
            if actor is not None:
                audit_record(
                    actor=actor,
                    action="events.rsvp_erase",
                    target=rsvp,
                    reason=reason,
                    details={"event": rsvp.event.slug},
                )
        deleted, _ = Rsvp.objects.filter(pk__in=ids).delete()
    return deleted


# --- events ---------------------------------------------------------------------------------------------
def event_create(*, event: Event, actor: Any | None) -> Event:
    event.full_clean()
    event.save()
    audit_record(actor=actor, action="events.event_create", target=event)
    return event


def event_update(*, event: Event, actor: Any | None, reason: str = "") -> list[str]:
    """Save an organiser's changes to `event`; tell the people coming when the time, place or status changes.

    Returns the names of the tracked fields that changed. The emails go after commit, once per change.
    """
    with transaction.atomic():
        stored = Event.objects.select_for_update().get(pk=event.pk)
        changed = [f for f in TRACKED_FIELDS if getattr(stored, f) != getattr(event, f)]
        moved = [f for f in NOTIFY_FIELDS if f in changed]
        status_news = "status" in changed and event.status in NOTIFY_STATUSES
        notify = bool(moved or status_news or ("status" in changed and stored.status in NOTIFY_STATUSES))
        if notify:
            event.sequence = stored.sequence + 1
        event.save()
        audit_record(
            actor=actor,
            action="events.event_update",
            target=event,
            reason=reason,
            details={f: [str(getattr(stored, f)), str(getattr(event, f))] for f in changed},
        )
        if notify and not stored.has_ended():
            enqueue_on_commit("events.tasks.notify_event_change", event.pk, event.sequence)
        if "capacity" in changed or "status" in changed:
            _promote_waitlist(event)
    return changed


def event_notify_rsvps(*, event_id: int, sequence: int) -> int:
    """Owe the "changed" email to everyone confirmed or waitlisted, once per `sequence`. Idempotent."""
    notified = 0
    with transaction.atomic():
        targets = list(
            Rsvp.objects.filter(
                event_id=event_id,
                status__in=[RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED],
                notified_sequence__lt=sequence,
            ).values_list("pk", flat=True)
        )
        for pk in targets:
            # The conditional update makes a second run (a retried task) a no-op for this RSVP.
            if Rsvp.objects.filter(pk=pk, notified_sequence__lt=sequence).update(notified_sequence=sequence):
                notified += _owe(pk, "changed")
    return notified


def event_send_reminders(*, now: datetime | None = None) -> int:
    """Owe the reminder to confirmed RSVPs of events starting within the lead time. Once each, ever."""
    now = now or timezone.now()
    window_end = now + timedelta(hours=settings.EVENTS_REMINDER_HOURS)
    due = list(
        Rsvp.objects.filter(
            status=RsvpStatus.CONFIRMED,
            reminded_at__isnull=True,
            event__published=True,
            event__status=EventStatus.SCHEDULED,
            event__starts_at__gt=now,
            event__starts_at__lte=window_end,
        ).values_list("pk", flat=True)
    )
    sent = 0
    with transaction.atomic():
        for pk in due:
            if Rsvp.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                sent += _owe(pk, "reminder")
    return sent
