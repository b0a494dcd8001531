"""A supporter's own data: self-service (name, consents, withdrawal), export and erasure; retention
(purging unconfirmed pledges, anonymising everything when the campaign ends)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from pledges.abuse import tombstone_key
from pledges.models import Pledge, PledgeStatus, SpamTombstone, Supporter
from pledges.supporters import PERSON_DEFAULTS, UNDO_WINDOW, _anonymise_empty_supporters, _mark_dirty
from quitgpt.audit import audit_record

PENDING_LIFETIME = timedelta(days=7)


# --- Self-service --------------------------------------------------------------------------------------
# The details a person gives after signing, in the order the forms ask them.
DETAIL_FIELDS = ("first_name", "country", "message", "wall_consent", "updates_consent")


def supporter_update(
    *,
    supporter: Supporter,
    first_name: str | None = None,
    country: str | None = None,
    message: str | None = None,
    wall_consent: bool | None = None,
    updates_consent: bool | None = None,
) -> None:
    """Change the person's details (one row: they are the supporter's); a detail left None stays as it
    is. A new name or message goes back to moderation before it shows on the wall; a new country moves
    the person in the tally's breakdown, so it marks them dirty in the same transaction."""
    with transaction.atomic():
        for field, value in (("first_name", first_name), ("message", message)):
            if value is not None:
                Supporter.objects.filter(pk=supporter.pk).exclude(**{field: value}).update(
                    **{field: value, "message_approved": False}
                )
        if country is not None and Supporter.objects.filter(pk=supporter.pk).exclude(country=country).update(
            country=country
        ):
            _mark_dirty([supporter.pk])
        consents = {
            name: value
            for name, value in (("wall_consent", wall_consent), ("updates_consent", updates_consent))
            if value is not None
        }
        if consents:
            Supporter.objects.filter(pk=supporter.pk).update(**consents)


def details_to_ask(supporter: Supporter) -> tuple[str, ...]:
    """The details still to ask after confirming (the thank-you page), in DETAIL_FIELDS order: those left
    empty and consents not given. Someone with a country signed with the full form (which requires
    one and asks every question) or has already answered: nothing is asked again."""
    if supporter.country:
        return ()
    return tuple(name for name in DETAIL_FIELDS if not getattr(supporter, name))


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


def pledge_undo_withdraw(*, pledge: Pledge) -> bool:
    """Undo one's own withdrawal within the undo window: back to confirmed if it was, else pending.
    False once the window has passed (or the pledge is not withdrawn)."""
    with transaction.atomic():
        row = Pledge.objects.select_for_update().filter(pk=pledge.pk).exclude(email="").first()
        if row is None or row.status != PledgeStatus.WITHDRAWN or not row.withdrawn_at:
            return False
        if row.withdrawn_at < timezone.now() - UNDO_WINDOW:
            return False
        status = PledgeStatus.CONFIRMED if row.confirmed_at else PledgeStatus.PENDING
        Pledge.objects.filter(pk=row.pk).update(status=status, withdrawn_at=None)
        _mark_dirty([row.supporter_id])
    return True


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def supporter_export(*, supporter: Supporter) -> dict[str, Any]:
    """Everything we keep about a supporter, as JSON-ready data."""
    supporter.refresh_from_db()
    person = {
        "first_name": supporter.first_name,
        "country": str(supporter.country.code or ""),
        "message": supporter.message,
        "message_approved": supporter.message_approved,
        "wall_consent": supporter.wall_consent,
        "updates_consent": supporter.updates_consent,
        "language": supporter.language,
    }
    pledges = []
    for pledge in supporter.pledges.order_by("created_at", "pk"):
        pledges.append(
            {
                "kind": pledge.kind,
                "status": pledge.status,
                "email": pledge.email,
                "email_normalised": pledge.email_normalised,
                # The person's details (kept here too, so the export's keys do not change).
                **person,
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
            **person,
        },
        "pledges": pledges,
        **_campaign_export(supporter.pk),
    }


def _campaign_export(supporter_id: int) -> dict[str, Any]:
    from campaign.privacy import campaign_data_export

    return campaign_data_export(supporter_id=supporter_id)


_ANONYMOUS_PLEDGE = {
    "email": "",
    "ip_hash": "",
    "token_hash": "",  # nosec B105 - clearing, not a password
    "token_expires_at": None,  # nosec B105
    "email_owed": "",
    "email_owed_since": None,
    "email_claimed_at": None,
}


def supporter_erase(*, supporter: Supporter) -> None:
    """Erase a supporter's personal data. Their pledges stop counting; the anonymous rows stay so that the
    tally can subtract them, and the manage link dies."""
    from campaign.models import RemovalCategory
    from campaign.privacy import campaign_data_erase
    from campaign.removals import removals_watch

    with removals_watch(category=RemovalCategory.ERASURE, supporter_ids=[supporter.pk]) as batch:
        now = timezone.now()
        pledges = Pledge.objects.filter(supporter=supporter)
        key = Supporter.objects.filter(pk=supporter.pk).values_list("email_normalised", flat=True).first()
        if key and not key.startswith("erased-") and pledges.filter(status=PledgeStatus.SPAM).exists():
            # Erasing does not undo a spam marking: a signature from this mailbox will be held again.
            SpamTombstone.objects.get_or_create(key_hash=tombstone_key(key))
        batch.pledges = pledges.filter(status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED]).update(
            status=PledgeStatus.WITHDRAWN, withdrawn_at=now
        )
        campaign_data_erase(supporter_id=supporter.pk)
        pledges.update(
            email_normalised=Concat(Value("erased-"), Cast("id", CharField())), **_ANONYMOUS_PLEDGE
        )
        Supporter.objects.filter(pk=supporter.pk).update(
            email_normalised=f"erased-{supporter.pk}",
            country="",
            **PERSON_DEFAULTS,
            manage_salt="",
            manage_token_hash="",  # nosec B106 - clearing, not a password
            receipt_secret="",  # nosec B106 - the commitment can no longer be tied to them
            tally_dirty=True,
        )


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
            **PERSON_DEFAULTS,
            manage_salt="",
            manage_token_hash="",  # nosec B106 - clearing, not a password
            receipt_secret="",  # nosec B106 - the commitment can no longer be tied to them
            tally_dirty=True,
        )
        audit_record(actor=actor, action="pledges.anonymise_all", details={"count": count})
    return count
