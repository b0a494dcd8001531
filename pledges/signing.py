"""Signing: the submission, the email it owes (sent after commit, swept if lost), confirmation and
"this wasn't me"."""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from pledges.abuse import admit, is_blocked, tombstone_key
from pledges.models import Pledge, PledgeKind, PledgeStatus
from pledges.rules import SigningRules
from pledges.supporters import (
    _anonymise_empty_supporters,
    _holds_own_details,
    _mark_dirty,
    _set_details,
    manage_token_for,
    supporter_upsert,
)
from quitgpt.background import enqueue_on_commit
from quitgpt.emails import normalise_email, plain_spelling
from quitgpt.i18n import supported_language
from quitgpt.mail import one_connection, send_templated_email
from quitgpt.net import ip_hash as hash_ip
from quitgpt.optin import SWEEP_PER_CLIENT, find_by_token, owe_email, owed_pks, send_owed_email
from quitgpt.rows import insert_rows

logger = logging.getLogger(__name__)

SHARE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{6,16}$")


class SigningPaused(Exception):
    """Organisers paused signing (PledgeSettings.signing_paused)."""


@dataclass
class SubmissionResult:
    """What a submission did. Never shown to the visitor: every outcome gets the same answer."""

    created: list[Pledge] = field(default_factory=list)
    repeated: list[Pledge] = field(default_factory=list)
    dropped: str = ""  # "blocked" | "" (the honeypot is the view's: quitgpt.forms.HoneypotMixin)
    suspicious: bool = False
    email_pledge_id: int | None = None
    delayed: bool = False  # the email is owed, left to the sweep (the client is over its mail budget)


# --- Signing ------------------------------------------------------------------------------------------
# The task that sends a pledge's owed email (named, not imported: tasks import this module).
SEND_TASK = "pledges.tasks.send_pledge_email"


def pledge_create(
    *,
    email: str,
    kinds: Sequence[str],
    country: str,
    first_name: str = "",
    message: str = "",
    wall_consent: bool = False,
    updates_consent: bool = False,
    language: str = "en",
    referral_code: str = "",
    ip: str = "",
    rules: SigningRules | None = None,
    companion: models.Model | None = None,
) -> SubmissionResult:
    """Record a signature for one or more kinds. Raises SigningPaused, or ValueError on input that the
    form should have refused. Every other outcome looks the same to the visitor. `rules`: the signing
    rules the caller already read for this request (pledges.rules), else read here.

    `companion`: an unsaved row of a model with `pledge` and `supporter` keys, of which a copy is written
    with each new pledge, atomically with it, its keys filled in (campaign.sources records where each
    pledge came from this way: pledges stays unaware of the model)."""
    normalised = normalise_email(email)
    wanted = sorted(set(kinds))
    if not wanted or any(kind not in PledgeKind.values for kind in wanted):
        raise ValueError("unknown pledge kind")
    ip_digest = hash_ip(ip) if ip else ""
    # The rules and the client's counters, in one round trip to Redis (pledges.abuse.admit).
    rules, admission = admit(ip_digest=ip_digest, rules=rules)
    if rules.config.signing_paused:
        raise SigningPaused
    if is_blocked(email_normalised=normalised, ip=ip, rules=rules):
        return SubmissionResult(dropped="blocked")
    # Over a per-IP limit, or a mailbox once marked as spam and erased: held until a moderator clears it.
    suspicious = admission.over_limit  # or a spam tombstone, read with the supporter (below)
    if not SHARE_CODE_RE.match(referral_code or ""):
        referral_code = ""
    details = {
        "first_name": first_name,
        "country": country,
        "message": message,
        "wall_consent": wall_consent,
        "updates_consent": updates_consent,
        "language": language,
    }
    pledge_fields = {
        "email": plain_spelling(email),
        "email_normalised": normalised,
        "referral_code": referral_code,
        "suspicious": suspicious,
        "ip_hash": ip_digest,
    }
    args = (normalised, wanted, details, pledge_fields, language, companion)
    try:
        result = _record_submission(*args, fast=True)
    except IntegrityError:
        # A new person whose pledge row already existed (it cannot, unless rows were edited by hand):
        # the general path, one savepoint per kind.
        result = _record_submission(*args, fast=False)
    if result.email_pledge_id is not None and admission.over_mail_budget:
        # This client caused many emails already: this one stays owed and the sweep sends it, at a
        # bounded rate per client (delayed, not dropped).
        result.delayed = True
    elif result.email_pledge_id is not None and not settings.PLEDGES_EMAIL_BATCH_SECONDS:
        # A broker outage is logged, never raised: the email stays owed and the sweep sends it.
        enqueue_on_commit(SEND_TASK, result.email_pledge_id)
    # Else no broker publish per submission: the row says the email is owed, and the batch task
    # (every PLEDGES_EMAIL_BATCH_SECONDS) sends whatever is owed.
    return result


def _record_submission(
    normalised: str,
    wanted: list[str],
    details: dict[str, Any],
    pledge_fields: dict[str, Any],
    language: str,
    companion: models.Model | None,
    *,
    fast: bool,
) -> SubmissionResult:
    """The submission's rows. A new person (the common case on a busy day) has no pledge yet: on
    PostgreSQL, `fast` writes the supporter, all of their pledges (the first one owing the confirmation
    email: quitgpt.optin.owe_email's budget is whole on a new row) and their companion rows in one
    statement, atomic on its own, and raises IntegrityError (nothing written) if a row was there after
    all. Someone who signed before takes the general path, in one transaction."""
    now = timezone.now()
    tombstone = tombstone_key(normalised)
    if fast and connection.vendor == "postgresql":
        new_pledges = [
            Pledge(
                kind=kind,
                share_code=secrets.token_urlsafe(9),
                requested_at=now,
                **pledge_fields,
                **({"email_owed": "confirm", "email_owed_since": now} if i == 0 else {}),
            )
            for i, kind in enumerate(wanted)
        ]
        # Inside a caller's transaction, a savepoint keeps a conflict from breaking it; on its own (a
        # request), the statement needs no BEGIN and COMMIT of its own.
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            found = supporter_upsert(
                normalised, details, new_pledges=new_pledges, companion=companion, tombstone_hash=tombstone
            )
        if found.created:
            suspicious = pledge_fields["suspicious"] or found.tombstoned
            for pledge in new_pledges:
                pledge.pk = found.pledge_ids[pledge.kind]
                pledge.supporter, pledge.suspicious = found.supporter, suspicious
                pledge._state.adding = False
            return SubmissionResult(
                created=new_pledges, suspicious=suspicious, email_pledge_id=new_pledges[0].pk
            )
        # They signed before (the statement only marked them dirty): the general path.
    with transaction.atomic():
        # One submission at a time per mailbox (the row is locked): the details decision below reads,
        # then writes. Marked dirty now, in this transaction: whatever follows changes how it counts.
        # A new supporter is inserted with this submission's details already.
        found = supporter_upsert(normalised, details, tombstone_hash=tombstone)
        supporter, created = found.supporter, found.created
        # Over a per-IP limit, or a mailbox once marked as spam and erased: held until a moderator
        # clears it.
        suspicious = pledge_fields["suspicious"] or found.tombstoned
        pledge_fields = {**pledge_fields, "suspicious": suspicious}
        result = SubmissionResult(suspicious=suspicious)
        if not created and not _holds_own_details(supporter):
            # A new person, or one with nothing live: this submission's details are what they will
            # confirm (the confirmation page shows them). Otherwise the owner's stay as they are.
            _set_details(supporter, details)
        for kind in wanted:
            try:
                with transaction.atomic():
                    pledge = Pledge.objects.create(
                        supporter=supporter,
                        kind=kind,
                        share_code=secrets.token_urlsafe(9),
                        requested_at=now,
                        **pledge_fields,
                    )
                result.created.append(pledge)
            except IntegrityError:
                pledge = Pledge.objects.select_for_update().get(email_normalised=normalised, kind=kind)
                result.repeated.append(pledge)
        to_confirm = list(result.created)
        for pledge in result.repeated:
            # The spelling on file stays: every variant reaches the same mailbox, and the link goes to the
            # spelling the person gave first. A flag is cleared only by a moderator.
            flag = {"suspicious": True} if suspicious else {}
            if pledge.status == PledgeStatus.PENDING:
                Pledge.objects.filter(pk=pledge.pk).update(requested_at=now, **flag)
                to_confirm.append(pledge)
            elif pledge.status == PledgeStatus.WITHDRAWN and pledge.email:
                # Signing again after withdrawing starts a new request to confirm; the pledge stays
                # withdrawn (and keeps its suspicion) until the owner confirms.
                Pledge.objects.filter(pk=pledge.pk).update(requested_at=now, **flag)
                to_confirm.append(pledge)
        confirmed = [p for p in result.repeated if p.status == PledgeStatus.CONFIRMED]
        # One submission owes at most one email: the confirmation if anything awaits it, else the note.
        if to_confirm:
            carrier = min(to_confirm, key=lambda p: p.pk)
            if owe_email(Pledge, pk=carrier.pk, kind="confirm"):
                result.email_pledge_id = carrier.pk
        elif confirmed:
            carrier = min(confirmed, key=lambda p: p.pk)
            # The note goes in the language of the page that was just used (the kind carries it), not
            # in the one of the first pledge.
            if owe_email(Pledge, pk=carrier.pk, kind=already_kind(language)):
                result.email_pledge_id = carrier.pk
        if companion is not None and result.created:
            insert_rows(
                [_companion_of(companion, pledge) for pledge in result.created], ignore_conflicts=True
            )
    return result


def _companion_of(companion: models.Model, pledge: Pledge) -> models.Model:
    row = copy.copy(companion)
    row.pledge_id, row.supporter_id = pledge.pk, pledge.supporter_id
    return row


# --- Sending -------------------------------------------------------------------------------------------
def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs=kwargs)


def already_kind(language: str) -> str:
    """The owed-email kind of the "already pledged" note, in `language` ("already:fr")."""
    return f"already:{language}" if language in dict(settings.LANGUAGES) else "already"


def _send_pledge_email(pledge: Pledge, kind: str, raw_token: str | None) -> None:
    if not pledge.email:  # erased since the email was owed
        return
    supporter = pledge.supporter
    language = supported_language(supporter.language)
    kind, _sep, kind_language = kind.partition(":")
    if kind_language in dict(settings.LANGUAGES):
        language = kind_language
    context: dict[str, Any] = {"pledge": pledge, "supporter": supporter}
    manage = manage_token_for(supporter)
    context["manage_url"] = _absolute("pledges:manage", language, token=manage) if manage else ""
    listed = list(supporter.pledges.for_email().order_by("kind"))  # one read for the list and the address
    confirmed = [p for p in listed if p.status == PledgeStatus.CONFIRMED]
    if kind in {"confirm", "remind"}:
        awaiting = [p for p in listed if p.awaiting]
        if raw_token is None or pledge not in awaiting:
            return
        context["confirm_url"] = _absolute("pledges:confirm", language, token=raw_token)
        context["pledges"] = awaiting
        template = f"pledges/email/{kind}"
    else:
        context["pledges"] = confirmed
        context["thanks_url"] = _absolute("pledges:thanks", language, code=pledge.share_code)
        template = "pledges/email/already"
    # The spelling the person confirmed first, if any (never one a later signature brought): it carries
    # the manage link. A confirmed pledge always has its confirmed_at (a database constraint).
    first = min((p for p in confirmed if p.email), key=lambda p: (p.confirmed_at, p.pk), default=None)
    to = first.email if first else pledge.email
    send_templated_email(template=template, to=to, context=context, language=language)


def pledge_send_email(*, pledge_id: int) -> bool:
    """Send the email owed to a pledge, if any (idempotent: a claim makes two senders send once)."""
    return send_owed_email(
        Pledge,
        pk=pledge_id,
        send=_send_pledge_email,
        token_kinds=("confirm", "remind"),
        queryset=Pledge.objects.select_related("supporter"),
    )


def pledges_send_owed_batch(*, limit: int = 2000) -> int:
    """The batch sender (PLEDGES_EMAIL_BATCH_SECONDS): every email owed to a pledge, fresh ones included
    (no sweep grace), each claimed before it is sent. Returns how many were sent.

    Per client it sends no faster than the sweep's bound (SWEEP_PER_CLIENT a minute), so that a client
    over its mail budget is not sent to faster because the batch runs every few seconds."""
    per_client = max(1, SWEEP_PER_CLIENT * settings.PLEDGES_EMAIL_BATCH_SECONDS // 60)
    sent = 0
    with one_connection():  # one connection to the relay for the batch
        for pk in owed_pks(Pledge, limit=limit, grace=timedelta(0), per_client=per_client):
            try:
                sent += pledge_send_email(pledge_id=pk)
            except Exception:
                logger.exception("sending the email owed to pledge %s failed; the next batch retries", pk)
    return sent


# --- Confirmation --------------------------------------------------------------------------------------
def pledge_confirm(*, token: str) -> Pledge | None:
    """Confirm the mailbox's pending pledges (listed on the page that posts here). Confirming twice is
    harmless: the token stays valid until it expires. None if the token is unknown or expired."""
    pledge = find_by_token(Pledge.objects.all(), token)
    if pledge is None:
        return None
    with transaction.atomic():
        changed = (
            Pledge.objects.filter(supporter_id=pledge.supporter_id)
            .awaiting_confirmation()
            .update(
                status=PledgeStatus.CONFIRMED,
                confirmed_at=timezone.now(),
                withdrawn_at=None,
                email_owed="",
                email_owed_since=None,
            )
        )
        if changed:
            _mark_dirty([pledge.supporter_id])
    pledge.refresh_from_db()
    return pledge


def pledge_reject(*, token: str) -> bool:
    """Answer "this wasn't me": delete the mailbox's pending pledges.

    False if the token is unknown or expired."""
    pledge = find_by_token(Pledge.objects.all(), token)
    if pledge is None:
        return False
    with transaction.atomic():
        Pledge.objects.filter(supporter_id=pledge.supporter_id, status=PledgeStatus.PENDING).delete()
        # A withdrawn pledge signed again by someone else: the request ends, the withdrawal stands.
        Pledge.objects.filter(supporter_id=pledge.supporter_id).awaiting_confirmation().update(
            requested_at=F("withdrawn_at")
        )
        _mark_dirty([pledge.supporter_id])
        _anonymise_empty_supporters([pledge.supporter_id])
    return True
