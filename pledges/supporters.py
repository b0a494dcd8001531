"""Supporters (one per normalised mailbox) and what every pledge write shares: the private manage link,
the tally's dirty mark, and anonymising a supporter left without pledges."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, Supporter
from quitgpt.tokens import hash_token, keyed_token

# A withdrawal can be undone from the manage page for this long; meanwhile the person's details stay
# theirs (a new signature does not replace them).
UNDO_WINDOW = timedelta(days=1)

# The person's details (on the supporter); erasure and anonymisation clear all but the country.
PERSON_DEFAULTS: dict[str, Any] = {
    "first_name": "",
    "message": "",
    "message_approved": False,
    "wall_consent": False,
    "updates_consent": False,
}


# --- Supporters and their private manage link ----------------------------------------------------------
MANAGE_LINK_PURPOSE = "pledges.manage"


def manage_token_for(supporter: Supporter) -> str:
    """The raw manage token (quitgpt.tokens.keyed_token of the supporter's salt), so that every email can
    carry the same link although only its hash is stored. 256 bits; "" for an erased supporter."""
    if not supporter.manage_salt:
        return ""
    return keyed_token(MANAGE_LINK_PURPOSE, supporter.manage_salt)


def _new_manage_fields() -> dict[str, str]:
    salt = secrets.token_hex(16)
    probe = Supporter(manage_salt=salt)
    return {"manage_salt": salt, "manage_token_hash": hash_token(manage_token_for(probe))}


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


def _holds_own_details(supporter: Supporter) -> bool:
    """Whether the supporter's details are the person's own: they have a pledge awaiting confirmation,
    a confirmed one, or one withdrawn within the undo window. A new signature (from anyone) then leaves
    them as they are: nothing an unverified party submits changes what the owner confirms or published."""
    recent = timezone.now() - UNDO_WINDOW
    return (
        Pledge.objects.filter(supporter=supporter)
        .exclude(email="")
        .filter(
            Q(status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED])
            | Q(status=PledgeStatus.WITHDRAWN, withdrawn_at__gte=recent)
        )
        .exists()
    )


def _set_details(supporter: Supporter, details: dict[str, Any]) -> None:
    """Write the person's details; a changed first name or message goes back to moderation."""
    changes = dict(details)
    if any(
        getattr(supporter, name) != changes.get(name, getattr(supporter, name))
        for name in ("first_name", "message")
    ):
        changes["message_approved"] = False
    Supporter.objects.filter(pk=supporter.pk).update(**changes)
    for name, value in changes.items():
        setattr(supporter, name, value)


def _supporter_locked_and_dirty(email_normalised: str, details: dict[str, Any]) -> tuple[Supporter, bool]:
    """The mailbox's supporter, locked for this transaction and marked dirty (the caller is about to
    change its pledges), and whether it was created. On PostgreSQL one upsert instead of get-or-create
    (SELECT, SAVEPOINT, INSERT, RELEASE), SELECT ... FOR UPDATE and the dirty UPDATE: a new supporter is
    inserted with `details` and fresh manage fields; an existing one keeps its details (the caller
    decides) and gets manage fields only if it has none. The conflict's UPDATE takes the row lock."""
    if connection.vendor != "postgresql":
        supporter = _supporter_for(email_normalised)
        supporter = Supporter.objects.select_for_update().get(pk=supporter.pk)
        _mark_dirty([supporter.pk])
        return supporter, False
    now = timezone.now()
    fields = _new_manage_fields()
    sql = (
        "INSERT INTO pledges_supporter (created_at, updated_at, email_normalised, first_name, country,"
        " message, message_approved, wall_consent, updates_consent, language, tally_dirty, manage_salt,"
        " manage_token_hash) VALUES (%s, %s, %s, %s, %s, %s, false, %s, %s, %s, true, %s, %s)"
        " ON CONFLICT (email_normalised) DO UPDATE SET tally_dirty = true,"
        " manage_salt = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_salt"
        " ELSE pledges_supporter.manage_salt END,"
        " manage_token_hash = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_token_hash"
        " ELSE pledges_supporter.manage_token_hash END"
        " RETURNING *, (xmax = 0) AS inserted"
    )
    params = [
        now,
        now,
        email_normalised,
        details["first_name"],
        str(details["country"] or ""),
        details["message"],
        bool(details["wall_consent"]),
        bool(details["updates_consent"]),
        details["language"],
        fields["manage_salt"],
        fields["manage_token_hash"],
    ]
    supporter = next(iter(Supporter.objects.raw(sql, params)))
    return supporter, bool(supporter.inserted)


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
        country="",
        **PERSON_DEFAULTS,
        manage_salt="",
        manage_token_hash="",  # nosec B106 - clearing, not a password
        tally_dirty=True,
    )
