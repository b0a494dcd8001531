"""quitgpt.rows: the prepared INSERT writes what the ORM's own INSERT writes, and ignores conflicts when
asked (the pledge POST's source rows go through it)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from campaign.models import PledgeSource
from quitgpt.rows import insert_rows, insert_shape
from tests.factories import make_pledge

pytestmark = pytest.mark.django_db


def row(source_id: int) -> dict:
    values = PledgeSource.objects.filter(pk=source_id).values().get()
    values.pop("pledge_id")
    values.pop("supporter_id")
    return values


def test_a_prepared_insert_stores_the_row_bulk_create_stores() -> None:
    first, second = make_pledge("a@example.org"), make_pledge("b@example.org")
    fields = {"domain": "example.org", "ip_prefix_hash": "ab" * 32, "country": "FR"}
    PledgeSource.objects.bulk_create([PledgeSource(pledge=first, supporter=first.supporter, **fields)])
    insert_rows([PledgeSource(pledge=second, supporter=second.supporter, **fields)])
    theirs, ours = row(first.pk), row(second.pk)
    assert abs((theirs.pop("created_at") - ours.pop("created_at")).total_seconds()) < 60
    assert theirs == ours


def test_a_conflict_is_ignored_only_when_asked() -> None:
    pledge = make_pledge("c@example.org")
    source = PledgeSource(pledge=pledge, supporter=pledge.supporter, domain="example.org")
    insert_rows([source])
    insert_rows(
        [PledgeSource(pledge=pledge, supporter=pledge.supporter, domain="other.org")], ignore_conflicts=True
    )
    assert PledgeSource.objects.get(pk=pledge.pk).domain == "example.org"
    with pytest.raises(IntegrityError):
        insert_rows([PledgeSource(pledge=pledge, supporter=pledge.supporter)])


def test_every_column_is_written_but_an_automatic_key() -> None:
    written, _stamped, _names = insert_shape(PledgeSource)
    assert {f.name for f in written} == {f.name for f in PledgeSource._meta.concrete_fields}
    from pledges.models import Pledge

    written, stamped, _names = insert_shape(Pledge)
    assert "id" not in {f.name for f in written}
    assert "updated_at" in {f.name for f in stamped}  # auto_now: stamped as the ORM stamps it
