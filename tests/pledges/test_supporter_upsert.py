"""pledges.supporters._supporter_locked_and_dirty: the supporter found or created, locked and marked dirty
in one statement on PostgreSQL, with the same results as get-or-create, lock, then mark."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from pledges.models import Supporter
from pledges.supporters import _supporter_locked_and_dirty, manage_token_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

UPSERT_COLUMNS = {
    "id",
    "created_at",
    "updated_at",
    "email_normalised",
    "first_name",
    "country",
    "message",
    "message_approved",
    "wall_consent",
    "updates_consent",
    "language",
    "tally_dirty",
    "manage_salt",
    "manage_token_hash",
}
DETAILS = {
    "first_name": "Ada",
    "country": "FR",
    "message": "Bye",
    "wall_consent": True,
    "updates_consent": False,
    "language": "fr",
}


def upsert(email: str, **details):
    return _supporter_locked_and_dirty(email, {**DETAILS, **details})


def test_a_new_mailbox_gets_a_dirty_supporter_with_its_manage_link_in_one_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        supporter, created = upsert("new@example.org")
    assert len(queries.captured_queries) == 1
    assert created
    row = Supporter.objects.get(pk=supporter.pk)
    assert row.tally_dirty and row.manage_salt and row.created_at
    assert (row.first_name, row.country.code, row.message, row.wall_consent, row.language) == (
        "Ada",
        "FR",
        "Bye",
        True,
        "fr",
    )
    assert not row.message_approved
    assert row.manage_salt == supporter.manage_salt
    assert manage_token_for(row)


def test_an_existing_supporter_keeps_its_details_and_manage_link_and_is_marked_dirty() -> None:
    first, _created = upsert("ada@example.org")
    Supporter.objects.filter(pk=first.pk).update(tally_dirty=False, message_approved=True)
    again, created = upsert("ada@example.org", first_name="Mallory", message="spam")
    row = Supporter.objects.get(pk=first.pk)
    assert not created
    assert again.pk == first.pk and Supporter.objects.count() == 1
    assert (row.first_name, row.message, row.message_approved) == ("Ada", "Bye", True)
    assert row.manage_salt == first.manage_salt == again.manage_salt
    assert row.tally_dirty


def test_a_supporter_without_manage_fields_gets_fresh_ones() -> None:
    bare = Supporter.objects.create(email_normalised="old@example.org", tally_dirty=False)
    supporter, created = upsert("old@example.org")
    row = Supporter.objects.get(pk=bare.pk)
    assert supporter.pk == bare.pk and not created
    assert row.manage_salt and row.manage_salt == supporter.manage_salt and row.manage_token_hash


def test_the_upsert_names_every_column_the_database_requires() -> None:
    # The statement is SQL (RETURNING the row, with a conditional update): a new NOT NULL column on
    # Supporter without a database default must be added to it, or every new signer would fail.
    missing = [
        field.column
        for field in Supporter._meta.concrete_fields
        if field.column not in UPSERT_COLUMNS
        and not field.null
        and getattr(field, "db_default", models.NOT_PROVIDED) is models.NOT_PROVIDED
    ]
    assert missing == [], f"add {missing} to pledges.supporters._supporter_locked_and_dirty"
    assert settings.USING_POSTGRES
