"""Receipts: each supporter's random secret and the commitment the public log carries instead of them.

`commitment = SHA-256 hex of "quitgpt-receipt-v1:" + secret`. The secret is shown only to the supporter
(thank-you page, manage page); anyone holding it can find their entries in the log and check them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.core import signing
from django.db import connection

from pledges.models import Supporter

PREFIX = "quitgpt-receipt-v1:"
# SQL for a fresh secret: two v4 UUIDs' hex (244 random bits from the server's strong random source).
_RANDOM_HEX_SQL = "replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')"


def receipt_commitment(secret: str) -> str:
    return hashlib.sha256((PREFIX + secret).encode("utf-8")).hexdigest()


def receipt_fields() -> dict[str, str]:
    """Fresh receipt fields for a new supporter."""
    secret = secrets.token_hex(32)
    return {"receipt_secret": secret, "receipt_commitment": receipt_commitment(secret)}


def receipts_ensure(supporter_ids: Iterable[int]) -> dict[int, str]:
    """The commitment of each supporter, giving one to any that has none yet (rows inserted by bulk SQL,
    or older than receipts). Never changes an existing commitment: the log may already carry it.
    PostgreSQL: one statement, whatever the number of supporters and of missing receipts."""
    ids = sorted(set(supporter_ids))
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        found = _receipts_read_and_fill(ids)
    else:
        found = dict(Supporter.objects.filter(id__in=ids).values_list("id", "receipt_commitment"))
    # Left: rows that another transaction gave a receipt meanwhile (read it), or a database without SQL fill.
    for sid in [sid for sid, commitment in found.items() if not commitment]:
        fields = receipt_fields()
        Supporter.objects.filter(id=sid, receipt_commitment="").update(**fields)
        found[sid] = Supporter.objects.filter(id=sid).values_list("receipt_commitment", flat=True)[0]
    return found


def _receipts_read_and_fill(ids: list[int]) -> dict[int, str]:
    """PostgreSQL: each supporter's commitment, filling the empty ones as `receipts_fill_sql` does, in one
    statement. "" for a row whose receipt a concurrent transaction wrote first (the UPDATE skips it)."""
    table = Supporter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH wanted AS (SELECT id, receipt_commitment FROM {table} WHERE id = ANY(%s)),
                filled AS (
                    UPDATE {table} SET receipt_secret = x.s,
                        receipt_commitment = encode(sha256(convert_to(%s || x.s, 'UTF8')), 'hex')
                    FROM (SELECT id, {_RANDOM_HEX_SQL} AS s FROM wanted WHERE receipt_commitment = '') x
                    WHERE {table}.id = x.id AND {table}.receipt_commitment = ''
                    RETURNING {table}.id, {table}.receipt_commitment
                )
                SELECT wanted.id, COALESCE(filled.receipt_commitment, wanted.receipt_commitment)
                FROM wanted LEFT JOIN filled ON filled.id = wanted.id""",  # noqa: S608  # nosec B608
            [ids, PREFIX],
        )
        return dict(cursor.fetchall())


def receipts_fill_sql(ids: list[int] | None = None) -> int:
    """PostgreSQL, set-based: a secret (`_RANDOM_HEX_SQL`) for every supporter without one (or those in
    `ids`)."""
    table = Supporter._meta.db_table
    where = "receipt_commitment = ''" + (" AND id = ANY(%s)" if ids is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} SET receipt_secret = x.s,
                   receipt_commitment = encode(sha256(convert_to(%s || x.s, 'UTF8')), 'hex')
                FROM (SELECT id, {_RANDOM_HEX_SQL} AS s FROM {table} WHERE {where}) x
                WHERE {table}.id = x.id""",  # noqa: S608  # nosec B608
            [PREFIX, *([ids] if ids is not None else [])],
        )
        return cursor.rowcount


def receipt_for(supporter: Supporter) -> dict[str, str]:
    """What the supporter's own pages show: the secret to keep and its commitment ("" once erased)."""
    if not supporter.receipt_commitment:
        receipts_ensure([supporter.pk])
        supporter.refresh_from_db(fields=["receipt_secret", "receipt_commitment"])
    return {"secret": supporter.receipt_secret, "commitment": supporter.receipt_commitment}


# The thank-you page is public (its address is the share code): it shows the receipt only when reached
# through the confirmation's redirect, which carries this short-lived signed token.
_SALT = "tally.receipts.thanks"
TOKEN_MAX_AGE = 3600


def receipt_token(supporter_id: int) -> str:
    return signing.dumps(supporter_id, salt=_SALT, compress=True)


def receipt_from_token(token: str | None) -> dict[str, str] | None:
    if not token or len(token) > 200:
        return None
    try:
        supporter_id = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    supporter = Supporter.objects.filter(pk=supporter_id).first() if isinstance(supporter_id, int) else None
    if supporter is None or not supporter.manage_salt:  # unknown, or erased since
        return None
    receipt = receipt_for(supporter)
    return receipt if receipt["secret"] else None
