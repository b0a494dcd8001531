"""pledges.supporters._supporter_marked_dirty: the supporter found or created and marked dirty in one
statement on PostgreSQL, with the same results as get-or-create then mark."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from pledges.models import Supporter
from pledges.supporters import _supporter_marked_dirty, manage_token_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

UPSERT_COLUMNS = {
    "id",
    "created_at",
    "updated_at",
    "email_normalised",
    "tally_dirty",
    "manage_salt",
    "manage_token_hash",
}


def test_a_new_mailbox_gets_a_dirty_supporter_with_its_manage_link_in_one_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        supporter = _supporter_marked_dirty("new@example.org")
    assert len(queries.captured_queries) == 1
    row = Supporter.objects.get(pk=supporter.pk)
    assert row.tally_dirty and row.manage_salt and row.created_at
    assert row.manage_salt == supporter.manage_salt
    assert manage_token_for(row)


def test_an_existing_supporter_keeps_its_manage_link_and_is_marked_dirty() -> None:
    first = _supporter_marked_dirty("ada@example.org")
    Supporter.objects.filter(pk=first.pk).update(tally_dirty=False)
    again = _supporter_marked_dirty("ada@example.org")
    row = Supporter.objects.get(pk=first.pk)
    assert again.pk == first.pk and Supporter.objects.count() == 1
    assert row.manage_salt == first.manage_salt == again.manage_salt
    assert row.tally_dirty


def test_a_supporter_without_manage_fields_gets_fresh_ones() -> None:
    bare = Supporter.objects.create(email_normalised="old@example.org", tally_dirty=False)
    supporter = _supporter_marked_dirty("old@example.org")
    row = Supporter.objects.get(pk=bare.pk)
    assert supporter.pk == bare.pk
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
    assert missing == [], f"add {missing} to pledges.supporters._supporter_marked_dirty"
    assert settings.USING_POSTGRES
