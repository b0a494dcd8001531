"""Every write to pledges and supporters. Views, admin actions, tasks and commands call these.

Rules kept here, in one place:
- one pledge per kind per normalised mailbox (the database constraint decides; a conflict is a repeat);
- a blocked or honeypot submission is answered like any other and leaves no trace;
- a flood from one address is flagged `suspicious` (held out of the count), never refused;
- one submission owes at most one email; the email is sent by a task enqueued after commit, and a
  periodic sweep sends whatever the broker or a worker lost (quitgpt.optin);
- every change that may alter whether or how a supporter counts marks it `tally_dirty` in the same
  transaction; supporter rows are never deleted (the tally may have counted them): when no pledge is left,
  their key is anonymised instead.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from pledges.models import (
    BlockedAddress,
    BlockedDomain,
    BlockedNetwork,
    Pledge,
    PledgeKind,
    PledgeSettings,
    PledgeStatus,
    ReferralVisit,
    Supporter,
)
from pledges.normalise import normalise_email
from quitgpt import ratelimit
from quitgpt.audit import audit_record
from quitgpt.mail import send_templated_email
from quitgpt.net import ip_hash as hash_ip
from quitgpt.optin import find_by_token, owe_email, owed_pks, send_owed_email

logger = logging.getLogger(__name__)

PENDING_LIFETIME = timedelta(days=7)
SHARE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{6,16}$")


class SigningPaused(Exception):
    """Organisers paused signing (PledgeSettings.signing_paused)."""


@dataclass
class SubmissionResult:
    """What a submission did. Never shown to the visitor: every outcome gets the same answer."""

    created: list[Pledge] = field(default_factory=list)
    repeated: list[Pledge] = field(default_factory=list)
    dropped: str = ""  # "honeypot" | "blocked" | ""
    suspicious: bool = False
    email_pledge_id: int | None = None


# --- Supporters and their private manage link ----------------------------------------------------------
def manage_token_for(supporter: Supporter) -> str:
    """The raw manage token: derived from SECRET_KEY and the supporter's salt, so that every email can
    carry the same link although only its hash is stored. 256 bits."""
    if not supporter.manage_salt:
        return ""
    return salted_hmac("pledges.manage", supporter.manage_salt, algorithm="sha256").hexdigest()


def hash_manage_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_manage_fields() -> dict[str, str]:
    salt = secrets.token_hex(16)
    probe = Supporter(manage_salt=salt)
    return {"manage_salt": salt, "manage_token_hash": hash_manage_token(manage_token_for(probe))}


def _supporter_for(email_normalised: str) -> Supporter:
    supporter, _created = Supporter.objects.get_or_create(
        email_normalised=email_normalised, defaults=_new_manage_fields()
    )
    if not supporter.manage_salt:
        fields = _new_manage_fields()
        Supporter.objects.filter(pk=supporter.pk).update(**fields)
        supporter.manage_salt, supporter.manage_token_hash = (
            fields["manage_salt"],
            fields["manage_token_hash"],
        )
    return supporter


def _mark_dirty(supporter_ids: Iterable[int]) -> None:
    ids = sorted(set(supporter_ids))
    if ids:
        Supporter.objects.filter(pk__in=ids).update(tally_dirty=True)


def _anonymise_empty_supporters(supporter_ids: Iterable[int]) -> None:
    """Supporters left without any pledge keep their row (the tally may have counted them) but lose
    their address."""
    ids = sorted(set(supporter_ids))
    if not ids:
        return
    Supporter.objects.filter(pk__in=ids, pledges__isnull=True).update(
        email_normalised=Concat(Value("erased-"), Cast("id", CharField())),
        manage_salt="",
        manage_token_hash="",  # nosec B106 - clearing, not a password
        tally_dirty=True,
    )


# --- Abuse: block lists and per-IP limits --------------------------------------------------------------
def _domain_candidates(domain: str) -> list[str]:
    """`a.b.example.org` -> the domain and each parent down to `example.org`: a block covers subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(max(len(parts) - 1, 1))]


def is_blocked(*, email_normalised: str, ip: str) -> bool:
    domain = email_normalised.rpartition("@")[2]
    if BlockedDomain.objects.filter(domain__in=_domain_candidates(domain)).exists():
        return True
    if BlockedAddress.objects.filter(email_normalised=email_normalised).exists():
        return True
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for network in BlockedNetwork.objects.values_list("network", flat=True):
            try:
                if address in ipaddress.ip_network(network, strict=False):
                    return True
            except (ValueError, TypeError):
                continue
    return False


def _hits(ip_digest: str, window: int) -> int:
    """This submission's number in the current window for the address; counted in the database (distinct
    mailboxes) when the cache is down."""
    count = ratelimit.hit(f"pledges:rate:{window}:{ip_digest}", window=window)
    if count is not None:
        return count
    since = timezone.now() - timedelta(seconds=window)
    return (
        Pledge.objects.filter(ip_hash=ip_digest, created_at__gte=since)
        .values("email_normalised")
        .distinct()
        .count()
        + 1
    )


def is_over_limit(*, ip_digest: str, config: PledgeSettings) -> bool:
    if not ip_digest:
        return False
    over = False
    for limit, window in ((config.short_limit, config.short_window), (config.long_limit, config.long_window)):
        if _hits(ip_digest, window) > limit:
            over = True
    return over


# --- Signing ------------------------------------------------------------------------------------------
def _enqueue_email(pledge_id: int) -> None:
    from pledges.tasks import send_pledge_email

    try:
        send_pledge_email.delay(pledge_id)
    except Exception:
        # The broker is down: the pledge is saved and its email is owed; the sweep will send it.
        logger.warning(
            "could not enqueue the email of pledge %s; the sweep will send it", pledge_id, exc_info=True
        )


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
    honeypot: str = "",
) -> SubmissionResult:
    """Record a signature for one or more kinds. Raises SigningPaused, or ValueError on input that the
    form should have refused. Every other outcome looks the same to the visitor."""
    config = PledgeSettings.load()
    if config.signing_paused:
        raise SigningPaused
    normalised = normalise_email(email)
    wanted = sorted(set(kinds))
    if not wanted or any(kind not in PledgeKind.values for kind in wanted):
        raise ValueError("unknown pledge kind")
    if honeypot:
        return SubmissionResult(dropped="honeypot")
    if is_blocked(email_normalised=normalised, ip=ip):
        return SubmissionResult(dropped="blocked")
    ip_digest = hash_ip(ip) if ip else ""
    suspicious = is_over_limit(ip_digest=ip_digest, config=config)
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
    result = SubmissionResult(suspicious=suspicious)
    now = timezone.now()
    with transaction.atomic():
        supporter = _supporter_for(normalised)
        for kind in wanted:
            try:
                with transaction.atomic():
                    pledge = Pledge.objects.create(
                        supporter=supporter,
                        kind=kind,
                        email=email.strip(),
                        email_normalised=normalised,
                        referral_code=referral_code,
                        share_code=secrets.token_urlsafe(9),
                        suspicious=suspicious,
                        ip_hash=ip_digest,
                        requested_at=now,
                        **details,
                    )
                result.created.append(pledge)
            except IntegrityError:
                pledge = Pledge.objects.select_for_update().get(email_normalised=normalised, kind=kind)
                result.repeated.append(pledge)
        to_confirm = list(result.created)
        for pledge in result.repeated:
            if pledge.status == PledgeStatus.PENDING:
                # The latest details win: people sign again to correct a typo.
                flag = {"suspicious": True} if suspicious else {}  # a flag is cleared only by a moderator
                Pledge.objects.filter(pk=pledge.pk).update(
                    email=email.strip(), requested_at=now, **flag, **details
                )
                to_confirm.append(pledge)
            elif pledge.status == PledgeStatus.WITHDRAWN and pledge.email:
                # Signing again after withdrawing starts a new request to confirm.
                Pledge.objects.filter(pk=pledge.pk).update(
                    status=PledgeStatus.PENDING,
                    confirmed_at=None,
                    withdrawn_at=None,
                    email=email.strip(),
                    suspicious=suspicious,
                    ip_hash=ip_digest,
                    requested_at=now,
                    **details,
                )
                to_confirm.append(pledge)
        confirmed = [p for p in result.repeated if p.status == PledgeStatus.CONFIRMED]
        # One submission owes at most one email: the confirmation if anything awaits it, else the note.
        if to_confirm:
            carrier = min(to_confirm, key=lambda p: p.pk)
            if owe_email(Pledge, pk=carrier.pk, kind="confirm"):
                result.email_pledge_id = carrier.pk
        elif confirmed:
            carrier = min(confirmed, key=lambda p: p.pk)
            if owe_email(Pledge, pk=carrier.pk, kind="already"):
                result.email_pledge_id = carrier.pk
        _mark_dirty([supporter.pk])
        if result.email_pledge_id is not None:
            pledge_id = result.email_pledge_id
            transaction.on_commit(lambda: _enqueue_email(pledge_id), robust=True)
    return result


# --- Sending -------------------------------------------------------------------------------------------
def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs=kwargs)


def _send_pledge_email(pledge: Pledge, kind: str, raw_token: str | None) -> None:
    if not pledge.email:  # erased since the email was owed
        return
    supporter = pledge.supporter
    language = pledge.language if pledge.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    context: dict[str, Any] = {"pledge": pledge}
    manage = manage_token_for(supporter)
    context["manage_url"] = _absolute("pledges:manage", language, token=manage) if manage else ""
    if kind == "confirm":
        if raw_token is None or pledge.status != PledgeStatus.PENDING:
            return
        context["confirm_url"] = _absolute("pledges:confirm", language, token=raw_token)
        context["pledges"] = list(supporter.pledges.filter(status=PledgeStatus.PENDING).order_by("kind"))
        template = "pledges/email/confirm"
    else:
        context["pledges"] = list(supporter.pledges.filter(status=PledgeStatus.CONFIRMED).order_by("kind"))
        context["thanks_url"] = _absolute("pledges:thanks", language, code=pledge.share_code)
        template = "pledges/email/already"
    send_templated_email(template=template, to=pledge.email, context=context, language=language)


def pledge_send_email(*, pledge_id: int) -> bool:
    """Send the email owed to a pledge, if any (idempotent: a claim makes two senders send once)."""
    return send_owed_email(Pledge, pk=pledge_id, send=_send_pledge_email, token_kinds=("confirm",))


def pledges_send_owed(*, limit: int = 500) -> int:
    """The sweep: send every email still owed (the broker was down, a worker died). Returns how many."""
    sent = 0
    for pk in owed_pks(Pledge, limit=limit):
        try:
            sent += pledge_send_email(pledge_id=pk)
        except Exception:
            logger.exception("sending the email owed to pledge %s failed; the next sweep retries", pk)
    return sent


# --- Confirmation --------------------------------------------------------------------------------------
def pledge_confirm(*, token: str) -> Pledge | None:
    """Confirm the mailbox's pending pledges (listed on the page that posts here). Confirming twice is
    harmless: the token stays valid until it expires. None if the token is unknown or expired."""
    pledge = find_by_token(Pledge.objects.all(), token)
    if pledge is None:
        return None
    with transaction.atomic():
        changed = Pledge.objects.filter(supporter_id=pledge.supporter_id, status=PledgeStatus.PENDING).update(
            status=PledgeStatus.CONFIRMED, confirmed_at=timezone.now(), email_owed="", email_owed_since=None
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
        _mark_dirty([pledge.supporter_id])
        _anonymise_empty_supporters([pledge.supporter_id])
    return True


# --- Self-service --------------------------------------------------------------------------------------
def supporter_update(
    *, supporter: Supporter, first_name: str, wall_consent: bool, updates_consent: bool
) -> None:
    """Change the name and consents on all of a supporter's pledges. A new name goes back to moderation
    before it shows on the wall."""
    with transaction.atomic():
        pledges = Pledge.objects.filter(supporter=supporter).exclude(email="")
        pledges.exclude(first_name=first_name).update(first_name=first_name, message_approved=False)
        pledges.update(wall_consent=wall_consent, updates_consent=updates_consent)


def pledge_withdraw(*, pledge: Pledge, actor: Any | None = None, reason: str = "") -> bool:
    """Withdraw a pending or confirmed pledge: it leaves the count at the next recompute."""
    with transaction.atomic():
        changed = Pledge.objects.filter(
            pk=pledge.pk, status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED]
        ).update(
            status=PledgeStatus.WITHDRAWN, withdrawn_at=timezone.now(), email_owed="", email_owed_since=None
        )
        if changed:
            _mark_dirty([pledge.supporter_id])
            if actor is not None:
                audit_record(actor=actor, action="pledge.withdraw", target=pledge, reason=reason)
    return bool(changed)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def supporter_export(*, supporter: Supporter) -> dict[str, Any]:
    """Everything we keep about a supporter, as JSON-ready data."""
    pledges = []
    for pledge in supporter.pledges.order_by("created_at", "pk"):
        pledges.append(
            {
                "kind": pledge.kind,
                "status": pledge.status,
                "email": pledge.email,
                "email_normalised": pledge.email_normalised,
                "first_name": pledge.first_name,
                "country": str(pledge.country.code or ""),
                "message": pledge.message,
                "message_approved": pledge.message_approved,
                "wall_consent": pledge.wall_consent,
                "updates_consent": pledge.updates_consent,
                "language": pledge.language,
                "referral_code": pledge.referral_code,
                "share_code": pledge.share_code,
                "ip_hash": pledge.ip_hash,
                "suspicious": pledge.suspicious,
                "emails_sent": pledge.emails_sent,
                "created_at": _iso(pledge.created_at),
                "confirmed_at": _iso(pledge.confirmed_at),
                "withdrawn_at": _iso(pledge.withdrawn_at),
            }
        )
    return {
        "exported_at": timezone.now().isoformat(),
        "supporter": {
            "email_normalised": supporter.email_normalised,
            "created_at": _iso(supporter.created_at),
        },
        "pledges": pledges,
    }


_ANONYMOUS_PLEDGE = {
    "email": "",
    "first_name": "",
    "message": "",
    "message_approved": False,
    "wall_consent": False,
    "updates_consent": False,
    "ip_hash": "",
    "token_hash": "",  # nosec B105 - clearing, not a password
    "token_expires_at": None,  # nosec B105
    "manage_token_hash": "",  # nosec B105
    "email_owed": "",
    "email_owed_since": None,
    "email_claimed_at": None,
}


def supporter_erase(*, supporter: Supporter) -> None:
    """Erase a supporter's personal data. Their pledges stop counting; the anonymous rows stay so that the
    tally can subtract them, and the manage link dies."""
    with transaction.atomic():
        now = timezone.now()
        pledges = Pledge.objects.filter(supporter=supporter)
        pledges.filter(status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED]).update(
            status=PledgeStatus.WITHDRAWN, withdrawn_at=now
        )
        pledges.update(
            email_normalised=Concat(Value("erased-"), Cast("id", CharField())),
            country="",
            **_ANONYMOUS_PLEDGE,
        )
        Supporter.objects.filter(pk=supporter.pk).update(
            email_normalised=f"erased-{supporter.pk}",
            manage_salt="",
            manage_token_hash="",  # nosec B106 - clearing, not a password
            tally_dirty=True,
        )


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


def pledge_mark_spam(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    targets = [p for p in pledges if p.status != PledgeStatus.SPAM]
    return _moderate(
        pledges=targets,
        actor=actor,
        reason=reason,
        action="pledge.mark_spam",
        changes={"status": PledgeStatus.SPAM, "email_owed": "", "email_owed_since": None},
        counts=True,
    )


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


def pledge_approve_wall(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    return _moderate(
        pledges=list(pledges),
        actor=actor,
        reason=reason,
        action="pledge.approve_wall",
        changes={"message_approved": True},
        counts=False,
    )


def pledge_hide_wall(*, pledges: Iterable[Pledge], actor: Any, reason: str = "") -> int:
    return _moderate(
        pledges=list(pledges),
        actor=actor,
        reason=reason,
        action="pledge.hide_wall",
        changes={"message_approved": False},
        counts=False,
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
    with transaction.atomic():
        qs = invalidation_queryset(domain=domain, ip_hash=ip_hash, since=since, until=until)
        ids = list(qs.values_list("pk", flat=True))
        supporter_ids = list(Pledge.objects.filter(pk__in=ids).values_list("supporter_id", flat=True))
        count = Pledge.objects.filter(pk__in=ids).update(
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


# --- Referrals -----------------------------------------------------------------------------------------
def referral_visit_record(*, code: str, day: date | None = None) -> bool:
    """Count one visit through a share code (no cookie, no visitor data). Unknown codes are ignored."""
    if not SHARE_CODE_RE.match(code or "") or not Pledge.objects.filter(share_code=code).exists():
        return False
    day = day or timezone.localdate()
    if ReferralVisit.objects.filter(code=code, day=day).update(visits=F("visits") + 1):
        return True
    try:
        with transaction.atomic():
            ReferralVisit.objects.create(code=code, day=day, visits=1)
    except IntegrityError:  # another request created today's row first
        ReferralVisit.objects.filter(code=code, day=day).update(visits=F("visits") + 1)
    return True


# --- Retention -----------------------------------------------------------------------------------------
def pledges_purge_pending(*, now: datetime | None = None) -> int:
    """Delete pledges left unconfirmed for 7 days. Returns how many."""
    cutoff = (now or timezone.now()) - PENDING_LIFETIME
    with transaction.atomic():
        stale = Pledge.objects.filter(status=PledgeStatus.PENDING, requested_at__lt=cutoff)
        supporter_ids = list(stale.values_list("supporter_id", flat=True))
        count, _ = stale.delete()
        _mark_dirty(supporter_ids)
        _anonymise_empty_supporters(supporter_ids)
    return count


def pledges_anonymise_all(*, actor: Any | None = None) -> int:
    """The campaign is over: erase the personal data of every pledge, keeping every count (status, kind,
    country and dates stay, and so does each pledge's supporter)."""
    with transaction.atomic():
        count = Pledge.objects.update(
            email_normalised=Concat(Value("anon-"), Cast("id", CharField())), **_ANONYMOUS_PLEDGE
        )
        Supporter.objects.update(
            email_normalised=Concat(Value("erased-"), Cast("id", CharField())),
            manage_salt="",
            manage_token_hash="",  # nosec B106 - clearing, not a password
            tally_dirty=True,
        )
        audit_record(actor=actor, action="pledges.anonymise_all", details={"count": count})
    return count
