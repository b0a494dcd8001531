"""Supporters (one per normalised mailbox) and what every pledge write shares: the private manage link,
the tally's dirty mark, and anonymising a supporter left without pledges."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, models
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, SpamTombstone, Supporter
from pledges.receipts import receipt_fields
from quitgpt.rows import insert_shape, prepared_cursor, prepared_values
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
    change its pledges), and whether it was created (`supporter_upsert` without pledges)."""
    found = supporter_upsert(email_normalised, details)
    return found.supporter, found.created


@dataclass
class Upserted:
    supporter: Supporter
    created: bool
    tombstoned: bool = False  # the tombstone asked about was there
    pledge_ids: dict[str, int] = field(default_factory=dict)  # kind -> id: a new person's pledges


def supporter_upsert(
    email_normalised: str,
    details: dict[str, Any],
    *,
    new_pledges: list[Pledge] = (),  # type: ignore[assignment]
    companion: models.Model | None = None,
    tombstone_hash: str = "",
) -> Upserted:
    """The mailbox's supporter, locked for this transaction and marked dirty (the caller is about to
    change its pledges), and whether it was created.

    On PostgreSQL one statement instead of get-or-create (SELECT, SAVEPOINT, INSERT, RELEASE), SELECT ...
    FOR UPDATE and the dirty UPDATE: a new supporter is inserted with `details` and fresh manage fields;
    an existing one keeps its details (the caller decides) and gets manage fields only if it has none.
    The conflict's UPDATE takes the row lock. In the same statement, if asked: whether a spam tombstone
    with `tombstone_hash` exists, and, only if the supporter is new, `new_pledges` (unsaved, without
    their supporter; `suspicious` is OR-ed with the tombstone) inserted for them, every column of the
    model taken from the instances, with, for each, a copy of `companion` (an unsaved row of a model
    with `pledge` and `supporter` keys, which are filled in; ON CONFLICT DO NOTHING), so that a new
    person costs one statement, atomic on its own."""
    if connection.vendor != "postgresql":
        supporter = _supporter_for(email_normalised)
        supporter = Supporter.objects.select_for_update().get(pk=supporter.pk)
        _mark_dirty([supporter.pk])
        tombstoned = bool(tombstone_hash) and SpamTombstone.objects.filter(key_hash=tombstone_hash).exists()
        return Upserted(supporter, False, tombstoned)
    now = timezone.now()
    fields = _new_manage_fields()
    receipt = receipt_fields()  # a new supporter's receipt; an existing one keeps theirs
    sql = _upsert_sql()
    params: list[Any] = [
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
        receipt["receipt_secret"],
        receipt["receipt_commitment"],
        tombstone_hash,
    ]
    if new_pledges:
        pledge_sql, pledge_params = _insert_pledges_sql(new_pledges)
        sql += ", " + pledge_sql
        params += pledge_params
        if companion is not None:
            companion_sql, companion_params = _insert_companion_sql(companion)
            sql += ", " + companion_sql
            params += companion_params
        ids = "(SELECT array_agg(p.id ORDER BY p.id) FROM p) AS pledge_ids,"
        ids += " (SELECT array_agg(p.kind ORDER BY p.id) FROM p) AS pledge_kinds"
    else:
        ids = "NULL::bigint[] AS pledge_ids, NULL::text[] AS pledge_kinds"
    sql += f" SELECT s.*, t.tombstoned, {ids} FROM s, t"  # noqa: S608  # nosec B608 - names only
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = dict(zip([column.name for column in cursor.description], cursor.fetchone(), strict=True))
    # The model from its columns (what a raw queryset does, without its per-call set-up).
    fields = Supporter._meta.concrete_fields
    supporter = Supporter.from_db(
        connection.alias, [f.attname for f in fields], [row[f.column] for f in fields]
    )
    new_ids = dict(zip(row["pledge_kinds"] or [], row["pledge_ids"] or [], strict=True))
    return Upserted(supporter, bool(row["inserted"]), bool(row["tombstoned"]), new_ids)


@functools.cache
def _upsert_sql() -> str:
    """The supporter upsert and the tombstone look-up (the CTEs `s` and `t`); only the model's column
    names are formatted in, every value is a parameter."""
    columns = _supporter_columns()
    return (
        "WITH s AS (INSERT INTO pledges_supporter"  # noqa: S608  # nosec B608
        " (created_at, updated_at, email_normalised, first_name, country,"
        " message, message_approved, wall_consent, updates_consent, language, tally_dirty, manage_salt,"
        " manage_token_hash, receipt_secret, receipt_commitment)"
        " VALUES (%s, %s, %s, %s, %s, %s, false, %s, %s, %s, true, %s, %s, %s, %s)"
        " ON CONFLICT (email_normalised) DO UPDATE SET tally_dirty = true,"
        " manage_salt = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_salt"
        " ELSE pledges_supporter.manage_salt END,"
        " manage_token_hash = CASE WHEN pledges_supporter.manage_salt = '' THEN EXCLUDED.manage_token_hash"
        " ELSE pledges_supporter.manage_token_hash END"
        f" RETURNING {columns}, (xmax = 0) AS inserted),"
        " t AS (SELECT EXISTS (SELECT 1 FROM pledges_spamtombstone WHERE key_hash = %s) AS tombstoned)"
    )


@functools.cache
def _supporter_columns() -> str:
    """The supporter's columns, named: a prepared statement keeps its result type, so a column added by
    a migration while this process runs does not break it (`RETURNING *` would)."""
    return ", ".join(connection.ops.quote_name(f.column) for f in Supporter._meta.concrete_fields)


@functools.cache
def _pledge_row_sql() -> str:
    """One pledge row of the CTE `p`: every column of quitgpt.rows.insert_shape (the supporter is `s`),
    each value a parameter cast to its column's type, `suspicious` OR-ed with the tombstone."""
    written, _stamped, _names = insert_shape(Pledge, skip=_NOT_WRITTEN)
    values = []
    for f in written:
        cast = f"CAST(%s AS {_cast_type(f)})"
        values.append(f"({cast} OR t.tombstoned)" if f.name == "suspicious" else cast)
    # Only the model's column types are formatted in; every value is a parameter.
    return f"SELECT s.id, {', '.join(values)} FROM s, t WHERE s.inserted"  # noqa: S608  # nosec B608


_NOT_WRITTEN = frozenset({"supporter"})


def _insert_pledges_sql(pledges: list[Pledge]) -> tuple[str, list[Any]]:
    """The CTE `p` inserting `pledges` for the new supporter `s` (none if `s` existed), every concrete
    column from the instances (each value prepared as the ORM would store it)."""
    _written, _stamped, names = insert_shape(Pledge, skip=_NOT_WRITTEN)
    params = [value for pledge in pledges for value in prepared_values(pledge, skip=_NOT_WRITTEN)]
    rows = " UNION ALL ".join([_pledge_row_sql()] * len(pledges))
    return (
        f"p AS (INSERT INTO pledges_pledge (supporter_id, {names}) {rows} RETURNING id, kind, supporter_id)",
        params,
    )


_KEYS = frozenset({"pledge", "supporter"})


def _insert_companion_sql(companion: models.Model) -> tuple[str, list[Any]]:
    """The CTE `c`: a copy of `companion` for each pledge of `p`, its pledge and supporter keys set."""
    model = type(companion)
    written, _stamped, names = insert_shape(model, skip=_KEYS)
    keys = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in ("pledge", "supporter")
    )
    casts = ", ".join(f"CAST(%s AS {_cast_type(f)})" for f in written)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"c AS (INSERT INTO {table} ({keys}, {names})"  # noqa: S608  # nosec B608 - names and types only
        f" SELECT p.id, p.supporter_id, {casts} FROM p ON CONFLICT DO NOTHING)"
    )
    return sql, prepared_values(companion, skip=_KEYS)


def _cast_type(f) -> str:
    """The type a parameter is cast to: text as text (a cast to varchar(n) would cut a value that the
    column must refuse), anything else as its column's type."""
    text = f.get_internal_type() in {"CharField", "EmailField", "TextField", "SlugField"}
    return "text" if text else f.cast_db_type(connection)


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
