"""A new person's signature in one statement (pledges.supporters.supporter_upsert with its pledges): the
rows are the ones the general path writes, a spam tombstone still flags them, and a pledge row already
there (edited by hand) sends the submission down the general path instead of failing."""

from __future__ import annotations

import pytest
from django.conf import settings

from pledges.abuse import tombstone_key
from pledges.models import Pledge, SpamTombstone, Supporter
from pledges.signing import _record_submission
from pledges.supporters import supporter_upsert

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DETAILS = {
    "first_name": "Ada",
    "country": "FR",
    "message": "",
    "wall_consent": True,
    "updates_consent": False,
    "language": "fr",
}
# What differs between two people by construction.
OWN = {"id", "supporter", "email", "email_normalised", "share_code", "created_at", "updated_at"}
TIMES = {"requested_at", "email_owed_since"}


def fields(pledge: Pledge) -> dict:
    return {
        f.attname: getattr(pledge, f.attname)
        for f in Pledge._meta.concrete_fields
        if f.name not in OWN and f.name not in TIMES
    }


def record(email: str, *, fast: bool, kinds=("cancelled", "deleted"), suspicious=False):
    pledge_fields = {
        "email": email,
        "email_normalised": email,
        "referral_code": "abcdef12",
        "suspicious": suspicious,
        "ip_hash": "f" * 64,
    }
    return _record_submission(email, list(kinds), DETAILS, pledge_fields, "fr", None, fast=fast)


def test_a_new_persons_pledges_in_one_statement_are_the_rows_the_general_path_writes() -> None:
    assert settings.USING_POSTGRES
    fast = record("fast@example.org", fast=True)
    slow = record("slow@example.org", fast=False)
    assert fast.email_pledge_id and slow.email_pledge_id
    fast_rows = list(Pledge.objects.filter(email_normalised="fast@example.org").order_by("kind"))
    slow_rows = list(Pledge.objects.filter(email_normalised="slow@example.org").order_by("kind"))
    assert [p.kind for p in fast_rows] == ["cancelled", "deleted"]
    assert [fields(p) for p in fast_rows] == [fields(p) for p in slow_rows]
    # Exactly one row owes the email, in both, and it is the one the result names.
    assert [p.pk for p in fast_rows if p.email_owed] == [fast.email_pledge_id]
    assert [p.pk for p in slow_rows if p.email_owed] == [slow.email_pledge_id]
    # The objects handed back are the stored rows.
    assert sorted((p.pk, p.kind, p.supporter_id) for p in fast.created) == sorted(
        (p.pk, p.kind, p.supporter_id) for p in fast_rows
    )
    for row in fast_rows:
        assert row.created_at and row.updated_at and row.requested_at and row.share_code
        assert row.supporter.tally_dirty and row.supporter.first_name == "Ada"


def test_a_tombstoned_mailbox_signing_as_a_new_person_is_held_as_suspicious() -> None:
    SpamTombstone.objects.create(key_hash=tombstone_key("back@example.org"))
    result = record("back@example.org", fast=True)
    assert result.suspicious
    assert set(
        Pledge.objects.filter(email_normalised="back@example.org").values_list("suspicious", flat=True)
    ) == {True}


def test_the_upsert_reports_a_tombstone_for_an_existing_supporter_too() -> None:
    record("again@example.org", fast=True)
    SpamTombstone.objects.create(key_hash=tombstone_key("again@example.org"))
    found = supporter_upsert("again@example.org", DETAILS, tombstone_hash=tombstone_key("again@example.org"))
    assert not found.created and found.tombstoned and found.pledge_ids == {}


def test_a_pledge_row_already_there_sends_the_submission_down_the_general_path(sign) -> None:
    # A hand-edited row: a pledge whose mailbox has no supporter of its own.
    other = Supporter.objects.create(email_normalised="other@example.org")
    Pledge.objects.create(
        supporter=other,
        kind="cancelled",
        email="stray@example.org",
        email_normalised="stray@example.org",
        share_code="straycode1",
    )
    response = sign(email="stray@example.org", kinds=["cancelled", "deleted"])
    assert response.status_code == 303
    assert Pledge.objects.filter(email_normalised="stray@example.org").count() == 2
    assert Supporter.objects.filter(email_normalised="stray@example.org").count() == 1


def prepared_signing_statements() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE 'WITH s AS (INSERT INTO pledges_supporter%%'"
        )
        return cursor.fetchone()[0]


def test_the_signing_statement_is_prepared_once_per_connection() -> None:
    # psycopg prepares it after DATABASE_PREPARE_THRESHOLD runs: PostgreSQL then skips parsing and
    # planning the statement on every signature.
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold
    for i in range(threshold + 1):
        assert record(f"prepared-{i}@example.org", fast=True).email_pledge_id
    assert prepared_signing_statements() == 1
    assert Supporter.objects.filter(email_normalised__startswith="prepared-").count() == threshold + 1


@pytest.mark.django_db(transaction=True)
def test_a_column_added_while_the_site_runs_does_not_break_the_prepared_statement() -> None:
    # A migration applied by another process while this one serves: the statement names its columns,
    # so its result type does not change under it (with `RETURNING *`, PostgreSQL answers "cached plan
    # must not change result type").
    import psycopg
    from django.db import connection

    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    for i in range(threshold + 1):
        record(f"before-{i}@example.org", fast=True)
    assert prepared_signing_statements() == 1
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as migration:
        migration.execute("ALTER TABLE pledges_supporter ADD COLUMN added_by_a_later_release integer")
        try:
            after = record("after@example.org", fast=True)
        finally:
            migration.execute("ALTER TABLE pledges_supporter DROP COLUMN added_by_a_later_release")
    assert after.email_pledge_id
    assert Pledge.objects.get(pk=after.email_pledge_id).supporter.email_normalised == "after@example.org"
