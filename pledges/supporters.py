"""Supporters (one per normalised mailbox) and what every pledge write shares: the private manage link,
the tally's dirty mark, and anonymising a supporter left without pledges."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.crypto import salted_hmac

from pledges.models import Supporter


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


def _supporter_marked_dirty(email_normalised: str) -> Supporter:
    """`_supporter_for` and `_mark_dirty` in one statement, for a caller about to change the supporter's
    pledges in the same transaction: on PostgreSQL one upsert (no SELECT, no savepoint, no second UPDATE),
    which also takes the row's lock at once. A new supporter gets fresh manage fields, as does an existing
    one left without them."""
    if connection.vendor != "postgresql":
        supporter = _supporter_for(email_normalised)
        _mark_dirty([supporter.pk])
        return supporter
    now = timezone.now()
    fields = _new_manage_fields()
    sql = (
        "INSERT INTO pledges_supporter (created_at, updated_at, email_normalised, tally_dirty, manage_salt,"
        " manage_token_hash) VALUES (%s, %s, %s, true, %s, %s)"
        " ON CONFLICT (email_normalised) DO UPDATE SET tally_dirty = true,"
        " manage_salt = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_salt"
        " ELSE pledges_supporter.manage_salt END,"
        " manage_token_hash = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_token_hash"
        " ELSE pledges_supporter.manage_token_hash END"
        " RETURNING *"
    )
    params = [now, now, email_normalised, fields["manage_salt"], fields["manage_token_hash"]]
    return next(iter(Supporter.objects.raw(sql, params)))


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
