"""Every write about campaign updates: compose, approve, send (in batches, crash-safe), pause, resume,
test sends, unsubscribing, bounces and complaints, the pledge reminder and milestone drafts.

The admin, the management commands and the tasks all call these functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pledges.models import Pledge, PledgeKind, PledgeStatus, Supporter
from quitgpt.audit import audit_record
from quitgpt.emails import normalise_email
from updates.models import (
    Bounce,
    BounceKind,
    Delivery,
    DeliveryState,
    PledgeReminder,
    Suppression,
    SuppressionReason,
    Update,
    UpdateStatus,
)

logger = logging.getLogger(__name__)

_UNSUBSCRIBE = signing.Signer(salt="updates.unsubscribe", sep=".")


class UpdateError(Exception):
    """A request the rules refuse; the message says why, for the organiser."""


# --- Composing -----------------------------------------------------------------------------------------
def _clean_audience(countries: list[str], kinds: list[str]) -> tuple[list[str], list[str]]:
    from django_countries import countries as all_countries

    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    unknown = [c for c in codes if c not in dict(all_countries)]
    if unknown:
        raise UpdateError(f"Unknown country code(s): {', '.join(unknown)}.")
    wanted = sorted({k.strip() for k in kinds if k.strip()})
    bad = [k for k in wanted if k not in PledgeKind.values]
    if bad:
        raise UpdateError(
            f"Unknown pledge kind(s): {', '.join(bad)} (known: {', '.join(PledgeKind.values)})."
        )
    return codes, wanted


def update_create(
    *,
    subject_en: str,
    body_en: str,
    subject_fr: str = "",
    body_fr: str = "",
    countries: list[str] | None = None,
    kinds: list[str] | None = None,
    event_id: int | None = None,
    actor: Any | None = None,
    milestone: int | None = None,
) -> Update:
    subject_en, body_en, subject_fr, body_fr = (
        subject_en.strip(),
        body_en.strip(),
        subject_fr.strip(),
        body_fr.strip(),
    )
    if not subject_en or not body_en:
        raise UpdateError("An update needs an English subject and body.")
    if bool(subject_fr) != bool(body_fr):
        raise UpdateError("Give both the French subject and the French body, or neither.")
    if any(len(s) > 150 for s in (subject_en, subject_fr)):
        raise UpdateError("A subject is at most 150 characters.")
    if any(c in s for s in (subject_en, subject_fr) for c in "\r\n"):
        raise UpdateError("A subject is one line.")
    codes, wanted = _clean_audience(countries or [], kinds or [])
    with transaction.atomic():
        update = Update.objects.create(
            subject_en=subject_en,
            body_en=body_en,
            subject_fr=subject_fr,
            body_fr=body_fr,
            countries=codes,
            kinds=wanted,
            event_id=event_id,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            milestone=milestone,
        )
        audit_record(actor=actor, action="update.create", target=update)
    return update


def update_edited(*, update: Update, actor: Any | None) -> None:
    """An organiser changed a draft: any approval was of the old text, so it is withdrawn."""
    if update.status != UpdateStatus.DRAFT:
        raise UpdateError("Only a draft can be changed.")
    Update.objects.filter(pk=update.pk).update(approved_by=None, approved_at=None)
    update.approved_by, update.approved_at = None, None
    audit_record(actor=actor, action="update.edit", target=update)


def update_approve(*, update: Update, actor: Any) -> None:
    """A second organiser's approval: never the author's own."""
    if update.status != UpdateStatus.DRAFT:
        raise UpdateError("Only a draft can be approved.")
    if (
        settings.UPDATES_REQUIRE_APPROVAL
        and update.created_by_id is not None
        and actor.pk == update.created_by_id
    ):
        raise UpdateError("The approval must come from another organiser than the author.")
    with transaction.atomic():
        changed = Update.objects.filter(pk=update.pk, status=UpdateStatus.DRAFT).update(
            approved_by=actor, approved_at=timezone.now()
        )
        if changed:
            audit_record(actor=actor, action="update.approve", target=update)


# --- Messages ------------------------------------------------------------------------------------------
def unsubscribe_token(supporter_id: int) -> str:
    """Stateless and permanent: the supporter id signed with SECRET_KEY."""
    return _UNSUBSCRIBE.sign(str(supporter_id))


def supporter_for_unsubscribe_token(token: str) -> Supporter | None:
    if not token or len(token) > 200:
        return None
    try:
        pk = int(_UNSUBSCRIBE.unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Supporter.objects.filter(pk=pk).first()


def unsubscribe_url(supporter_id: int) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse(
        "updates:unsubscribe", kwargs={"token": unsubscribe_token(supporter_id)}
    )


@dataclass
class _Rendered:
    subject: str
    html: str
    text: str


_render_cache: dict[tuple[int, str, str], _Rendered] = {}


def _content(update: Update, language: str) -> _Rendered:
    from django.utils.safestring import mark_safe

    from updates.rendering import markdown_to_html, markdown_to_text

    french = language == "fr" and update.subject_fr and update.body_fr
    subject, body = (update.subject_fr, update.body_fr) if french else (update.subject_en, update.body_en)
    key = (update.pk or 0, "fr" if french else "en", f"{update.updated_at}")
    cached = _render_cache.get(key)
    if cached is None:
        if len(_render_cache) > 32:
            _render_cache.clear()
        cached = _Rendered(subject, mark_safe(markdown_to_html(body)), markdown_to_text(body))  # noqa: S308  # nosec B703 B308 - markdown-it, raw HTML off
        _render_cache[key] = cached
    return cached


_UNSUBSCRIBE_SLOT = "QGPTSLOTUNSUBSCRIBE"
_MANAGE_SLOT = "QGPTSLOTMANAGE"
_template_cache: dict[tuple[int, str, str], Any] = {}


def _rendered_for_language(update: Update, language: str):
    """The update's email rendered once per language, with slots for each recipient's own links: a
    million recipients cost a million string replacements, not three million template renders."""
    from quitgpt.mail import render_templated_email

    key = (update.pk or 0, language, f"{update.updated_at}")
    cached = _template_cache.get(key)
    if cached is None:
        if len(_template_cache) > 32:
            _template_cache.clear()
        content = _content(update, language)
        cached = render_templated_email(
            template="updates/email/update",
            to="slot@invalid",
            context={
                "update_subject": content.subject,
                "body_html": content.html,
                "body_text": content.text,
                "unsubscribe_url": _UNSUBSCRIBE_SLOT,
                "manage_url": _MANAGE_SLOT,
            },
            language=language,
        )
        _template_cache[key] = cached
    return cached


def build_update_message(update: Update, *, to: str, language: str, supporter: Supporter | None):
    """The email of `update` for one recipient, in their language, with the RFC 8058 headers."""
    from django.core.mail import EmailMultiAlternatives

    from pledges.signing import _absolute
    from pledges.supporters import manage_token_for
    from quitgpt.mail import render_templated_email

    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    if supporter is None:  # a test send: no links of a supporter, a notice instead
        content = _content(update, language)
        context = {
            "update_subject": content.subject,
            "body_html": content.html,
            "body_text": content.text,
            "test_send": True,
        }
        return render_templated_email(
            template="updates/email/update", to=to, context=context, language=language
        )
    template = _rendered_for_language(update, language)
    url = unsubscribe_url(supporter.pk)
    token = manage_token_for(supporter)
    manage = _absolute("pledges:manage", language, token=token) if token else settings.SITE_URL
    html = next(content for content, mimetype in template.alternatives if mimetype == "text/html")
    domain = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "quitgpt.invalid"
    message = EmailMultiAlternatives(
        subject=template.subject,
        body=template.body.replace(_UNSUBSCRIBE_SLOT, url).replace(_MANAGE_SLOT, manage),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            **template.extra_headers,
            "Precedence": "bulk",
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # One Message-ID per (update, supporter): a relay that sees it twice can drop the copy.
            "Message-ID": f"<update-{update.pk}.{supporter.pk}@{domain}>",
        },
    )
    message.attach_alternative(
        html.replace(_UNSUBSCRIBE_SLOT, url).replace(_MANAGE_SLOT, manage), "text/html"
    )
    return message


def update_test_send(*, update: Update, actor: Any, to: str) -> None:
    """Send the update, in each language, to the organiser (owed through the outbox: the admin page does
    not wait on SMTP). Audited."""
    from outbox.services import outbox_owe

    if not to:
        raise UpdateError("Your account has no email address to send the test to.")
    languages = ["en", "fr"] if update.subject_fr else ["en"]
    with transaction.atomic():
        for language in languages:
            outbox_owe(message=build_update_message(update, to=to, language=language, supporter=None))
        audit_record(actor=actor, action="update.test_send", target=update, details={"to": to})


# --- Sending -------------------------------------------------------------------------------------------
LEASE = timedelta(minutes=2)


BATCH_TASK = "updates.tasks.send_update_batch"


def _enqueue_batch(update_id: int) -> None:
    from quitgpt.background import enqueue

    enqueue(BATCH_TASK, update_id)  # the broker down: logged; the sweep resumes the update


def update_start(*, update: Update, actor: Any | None, enqueue: bool = True) -> None:
    """Start sending (or resume a paused update). Refused without the second organiser's approval when
    UPDATES_REQUIRE_APPROVAL is on. Deliveries a dead sender left mid-SMTP become "unknown" (never re-sent:
    nobody gets a second copy)."""
    from updates.selectors import audience_size

    update.refresh_from_db()
    if update.status == UpdateStatus.SENT:
        raise UpdateError("This update has been sent already.")
    if settings.UPDATES_REQUIRE_APPROVAL and update.approved_at is None:
        raise UpdateError("This update needs a second organiser's approval before it is sent.")
    with transaction.atomic():
        fields: dict[str, Any] = {"status": UpdateStatus.SENDING, "lease_until": None}
        if update.started_at is None:
            fields.update(started_at=timezone.now(), audience_at_start=audience_size(update))
        Update.objects.filter(pk=update.pk).exclude(status=UpdateStatus.SENT).update(**fields)
        reconciled = Delivery.objects.filter(update=update, state=DeliveryState.SENDING).update(
            state=DeliveryState.UNKNOWN, detail="the sender stopped during the SMTP call"
        )
        action = "update.send" if update.status == UpdateStatus.DRAFT else "update.resume"
        audit_record(actor=actor, action=action, target=update, details={"reconciled_unknown": reconciled})
        pk = update.pk
        if enqueue:
            from quitgpt.background import enqueue_on_commit

            enqueue_on_commit(BATCH_TASK, pk)


def update_pause(*, update: Update, actor: Any | None) -> bool:
    changed = Update.objects.filter(pk=update.pk, status=UpdateStatus.SENDING).update(
        status=UpdateStatus.PAUSED
    )
    if changed:
        audit_record(actor=actor, action="update.pause", target=update)
    return bool(changed)


def _take_lease(update_id: int) -> Any | None:
    now = timezone.now()
    until = now + LEASE
    taken = (
        Update.objects.filter(pk=update_id, status=UpdateStatus.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=until)
    )
    return until if taken else None


def _record_next_batch(update: Update) -> bool:
    """Write the next page's delivery rows (queued) before any SMTP call, and move the cursor past it.
    False when the audience is exhausted."""
    from django.db import connection

    from updates.selectors import audience_page_after

    with transaction.atomic():
        ids, cursor = audience_page_after(update, after=update.cursor, limit=settings.UPDATES_BATCH_SIZE)
        if cursor is None:
            return False
        if ids:
            with connection.cursor() as db:
                db.execute(
                    "INSERT INTO updates_delivery (update_id, supporter_id, state, language, detail) "
                    "SELECT %s, unnest(%s::bigint[]), 'queued', '', '' "
                    "ON CONFLICT (update_id, supporter_id) DO NOTHING",
                    [update.pk, ids],
                )
        Update.objects.filter(pk=update.pk).update(cursor=cursor)
        update.cursor = cursor
    return True


def _send_queued(update: Update, lease: Any) -> str:
    """Send the queued deliveries of one batch. Each is claimed (queued -> sending) by a conditional
    UPDATE just before its SMTP call and stamped sent after it, in groups."""
    from django.core.mail import get_connection

    from updates.selectors import recipients, supporters_at_weekly_cap

    queued = list(
        Delivery.objects.filter(update=update, state=DeliveryState.QUEUED)
        .order_by("supporter_id")
        .values_list("pk", "supporter_id")[: settings.UPDATES_BATCH_SIZE]
    )
    if not queued:
        return "empty"
    supporter_ids = [sid for _pk, sid in queued]
    live = recipients(update, supporter_ids)
    capped = supporters_at_weekly_cap(supporter_ids, exclude_update=update.pk)
    gone = [pk for pk, sid in queued if sid not in live]
    Delivery.objects.filter(pk__in=gone, state=DeliveryState.QUEUED).update(
        state=DeliveryState.SKIPPED, detail="no longer in the audience"
    )
    over = [pk for pk, sid in queued if sid in live and sid in capped]
    Delivery.objects.filter(pk__in=over, state=DeliveryState.QUEUED).update(
        state=DeliveryState.SKIPPED, detail="weekly cap reached"
    )
    rate = settings.UPDATES_RATE_PER_SECOND
    interval = 1.0 / rate if rate else 0.0
    import time

    connection = get_connection()
    sent: list[int] = []
    started = time.monotonic()
    done = 0

    def flush() -> None:
        if sent:
            Delivery.objects.filter(
                pk__in=sent, state__in=[DeliveryState.SENDING, DeliveryState.UNKNOWN]
            ).update(state=DeliveryState.SENT, sent_at=timezone.now(), detail="")
            sent.clear()
        Update.objects.filter(pk=update.pk).update(lease_until=timezone.now() + LEASE)

    try:
        connection.open()
        for pk, sid in queued:
            supporter = live.get(sid)
            if supporter is None or sid in capped:
                continue
            if done and done % 50 == 0:
                flush()
                status = Update.objects.filter(pk=update.pk).values_list("status", flat=True).first()
                if status != UpdateStatus.SENDING:
                    return "paused"
            language = supporter.recipient_language or settings.LANGUAGE_CODE
            claimed = Delivery.objects.filter(pk=pk, state=DeliveryState.QUEUED).update(
                state=DeliveryState.SENDING, attempted_at=timezone.now(), language=language[:8]
            )
            if not claimed:
                continue
            message = build_update_message(
                update, to=supporter.recipient_email, language=language, supporter=supporter
            )
            message.connection = connection
            try:
                message.send()
            except (ConnectionRefusedError, TimeoutError) as exc:
                # Nothing reached the relay: the delivery goes back to the queue; retry later.
                Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING).update(state=DeliveryState.QUEUED)
                raise UpdateError(f"SMTP unavailable: {exc}") from exc
            except Exception as exc:  # refused recipient, or a relay that failed mid-message
                import smtplib

                state = (
                    DeliveryState.FAILED
                    if isinstance(
                        exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError
                    )
                    else DeliveryState.UNKNOWN
                )
                Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING).update(
                    state=state, detail=str(exc)[:200]
                )
                if state == DeliveryState.UNKNOWN:
                    raise
                continue
            sent.append(pk)
            done += 1
            if interval:
                ahead = started + done * interval - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        flush()
        connection.close()
    return "sent"


def update_send_batch(*, update_id: int) -> str:
    """One step of sending: "more" (call again), "done", "paused", or "busy" (another sender holds the
    lease, or the update is not sending). Safe to run concurrently and after any crash."""
    lease = _take_lease(update_id)
    if lease is None:
        return "busy"
    try:
        update = Update.objects.get(pk=update_id)
        outcome = _send_queued(update, lease)
        if outcome == "paused":
            return "paused"
        if outcome == "empty":
            if not _record_next_batch(update):
                return _finish(update)
            outcome = _send_queued(update, lease)
            if outcome == "paused":
                return "paused"
        return "more"
    finally:
        Update.objects.filter(pk=update_id).update(lease_until=None)


def _finish(update: Update) -> str:
    stale = timezone.now() - LEASE
    with transaction.atomic():
        Delivery.objects.filter(update=update, state=DeliveryState.SENDING, attempted_at__lt=stale).update(
            state=DeliveryState.UNKNOWN, detail="the sender stopped during the SMTP call"
        )
        changed = Update.objects.filter(pk=update.pk, status=UpdateStatus.SENDING).update(
            status=UpdateStatus.SENT, finished_at=timezone.now()
        )
        if changed:
            audit_record(actor=None, action="update.sent", target=update)
    return "done"


def update_run(*, update_id: int, max_batches: int | None = None) -> str:
    """Send batch after batch in this process (the inline mode and the command's --inline)."""
    outcome = "more"
    batches = 0
    while outcome == "more" and (max_batches is None or batches < max_batches):
        outcome = update_send_batch(update_id=update_id)
        batches += 1
    return outcome


def updates_resume_stalled() -> int:
    """The sweep: re-enqueue every sending update nobody is working on (a lost task, a dead worker)."""
    now = timezone.now()
    ids = list(
        Update.objects.filter(status=UpdateStatus.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _enqueue_batch(pk)
    return len(ids)


# --- Unsubscribing -------------------------------------------------------------------------------------
def supporter_unsubscribe(*, supporter: Supporter) -> bool:
    """Withdraw the person's consent to campaign updates. True if they were subscribed."""
    return bool(Supporter.objects.filter(pk=supporter.pk, updates_consent=True).update(updates_consent=False))


# --- Deliverability ------------------------------------------------------------------------------------
def bounce_record(*, address: str, kind: str, source: str, detail: str = "") -> Bounce | None:
    """Record a bounce or complaint; a hard bounce or a complaint suppresses the address for good.
    None (nothing recorded) for an address that cannot be read or an unknown kind."""
    if kind not in BounceKind.values:
        return None
    try:
        normalised = normalise_email(address)
    except ValueError:
        return None
    with transaction.atomic():
        bounce = Bounce.objects.create(
            email_normalised=normalised, kind=kind, source=source[:32], detail=detail[:300]
        )
        if kind in {BounceKind.HARD, BounceKind.COMPLAINT}:
            reason = SuppressionReason.HARD_BOUNCE if kind == BounceKind.HARD else SuppressionReason.COMPLAINT
            Suppression.objects.get_or_create(
                email_normalised=normalised,
                defaults={"reason": reason, "source": source[:32], "detail": detail[:300]},
            )
    return bounce


def is_suppressed(address: str) -> bool:
    try:
        return Suppression.objects.filter(email_normalised=normalise_email(address)).exists()
    except ValueError:
        return False


# --- The pledge reminder -------------------------------------------------------------------------------
REMINDER_AFTER = timedelta(hours=24)


def pledges_remind_unconfirmed(*, now: Any | None = None, limit: int = 500) -> int:
    """Owe one reminder to each pledge still unconfirmed 24 hours after its request: once in its life (the
    PledgeReminder row's unique pledge), never after withdrawal (only pending pledges), and within the
    pledge's email budget (owe_email refuses a spent one). Returns how many were owed."""
    from pledges.signing import SEND_TASK
    from quitgpt.background import enqueue_on_commit
    from quitgpt.optin import MAX_EMAILS, owe_email

    now = now or timezone.now()
    candidates = list(
        Pledge.objects.filter(
            status=PledgeStatus.PENDING,
            requested_at__lt=now - REMINDER_AFTER,
            email_owed="",
            emails_sent__lt=MAX_EMAILS,
        )
        .exclude(email="")
        .exclude(pk__in=PledgeReminder.objects.values("pledge_id"))
        .exclude(supporter__email_normalised__in=Suppression.objects.values("email_normalised"))
        .order_by("supporter_id", "pk")
        .values_list("pk", "supporter_id")[:limit]
    )
    owed = 0
    seen: set[int] = set()
    for pk, supporter_id in candidates:
        with transaction.atomic():
            # One reminder per mailbox: its other pending pledges are recorded as reminded too.
            if supporter_id in seen:
                PledgeReminder.objects.get_or_create(pledge_id=pk)
                continue
            seen.add(supporter_id)
            _reminder, created = PledgeReminder.objects.get_or_create(pledge_id=pk)
            if created and owe_email(Pledge, pk=pk, kind="remind"):
                owed += 1
                enqueue_on_commit(SEND_TASK, pk)
    return owed


# --- Milestones ----------------------------------------------------------------------------------------
def milestone_reached(total: int) -> int | None:
    """The highest goal the count has crossed, or None."""
    from tally.display import MILESTONES

    if total < MILESTONES[0]:
        return None
    if total >= MILESTONES[-1]:
        return (total // MILESTONES[-1]) * MILESTONES[-1]
    return max(m for m in MILESTONES if m <= total)


def updates_prepare_milestone(*, total: int | None = None) -> Update | None:
    """When the count has crossed a goal, prepare a draft update for organisers to review (never sent by
    itself: it waits for an organiser, and the approval, like any other). Once per goal."""
    from django.utils import translation

    from tally.display import tally_display
    from tally.models import TallySnapshot

    if total is None:
        snapshot = TallySnapshot.objects.order_by("-created_at").first()
        total = snapshot.total if snapshot else 0
    goal = milestone_reached(total)
    if goal is None or Update.objects.filter(milestone=goal).exists():
        return None
    with translation.override("en"):
        subject_en = f"We passed {tally_display(goal, 'en').rstrip('+')} in the QuitGPT boycott"
    subject_fr = (
        f"Nous avons passé le cap des {tally_display(goal, 'fr').rstrip('+')} dans le boycott QuitGPT"
    )
    body_en = (
        f"Thanks to you, the QuitGPT boycott has passed **{goal:,}** people.\n\n"
        "*(Draft prepared automatically: review, complete and approve before sending.)*"
    )
    body_fr = (
        f"Grâce à vous, le boycott QuitGPT a dépassé **{goal:,}** personnes.\n\n".replace(",", "\u202f")
        + "*(Brouillon préparé automatiquement : relisez, complétez et faites approuver avant l'envoi.)*"
    )
    from django.db import IntegrityError

    try:
        return update_create(
            subject_en=subject_en, body_en=body_en, subject_fr=subject_fr, body_fr=body_fr, milestone=goal
        )
    except IntegrityError:  # another run prepared it at the same moment
        return None
