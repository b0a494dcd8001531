"""Supporters (one per normalised mailbox) and what every pledge write shares: the private manage link,
the tally's dirty mark, and anonymising a supporter left without pledges."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils.crypto import salted_hmac

from pledges.models import Supporter
from tally.receipts import receipt_fields


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
        email_normalised=email_normalised, defaults={**_new_manage_fields(), **receipt_fields()}
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
