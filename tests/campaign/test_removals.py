"""A public record of removals: every batch removed from the count, by date, size and reason."""

from __future__ import annotations

import pytest

from campaign.models import RemovalBatch
from pledges import services
from pledges.models import Pledge, Supporter
from tally.services import tally_recompute

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_marking_spam_records_one_batch_of_the_people_who_stopped_counting(join, admin_user, client) -> None:
    for name in ("a", "b", "c"):
        join(f"{name}@example.org")
    pending = Pledge.objects.create(
        supporter=Supporter.objects.create(email_normalised="p@example.org"),
        kind="cancelled",
        email="p@example.org",
        email_normalised="p@example.org",
        share_code="pendingcode1",
    )
    targets = [*Pledge.objects.filter(email__in=["a@example.org", "b@example.org"]), pending]
    assert services.pledge_mark_spam(pledges=targets, actor=admin_user, reason="bots") == 3
    batch = RemovalBatch.objects.get()
    # Two people counted and no longer do; the pending pledge never counted.
    assert (batch.category, batch.people, batch.pledges) == ("spam", 2, 3)
    tally_recompute()
    assert client.get("/api/tally").json()["people"] == 1


def test_a_person_with_another_counted_pledge_is_not_recorded_as_removed(join, admin_user) -> None:
    join("ada@example.org", kinds=("cancelled", "shared"))
    shared = Pledge.objects.get(kind="shared")
    services.pledge_mark_spam(pledges=[shared], actor=admin_user, reason="x")
    assert not RemovalBatch.objects.exists()


def test_duplicates_bulk_invalidation_and_erasure_are_recorded_under_their_reason(join, admin_user) -> None:
    join("dup@example.org")
    join("x1@bad.example")
    join("x2@bad.example")
    join("gone@example.org")
    services.pledge_mark_duplicate(
        pledges=list(Pledge.objects.filter(email="dup@example.org")), actor=admin_user
    )
    services.pledges_invalidate(actor=admin_user, reason="wave", domain="bad.example")
    services.supporter_erase(supporter=Supporter.objects.get(email_normalised="gone@example.org"))
    assert sorted(RemovalBatch.objects.values_list("category", "people")) == [
        ("duplicates", 1),
        ("erasure", 1),
        ("invalidation", 2),
    ]


def test_a_withdrawal_is_the_persons_own_and_not_a_removal(join) -> None:
    pledge, _ = join("ada@example.org")
    services.pledge_withdraw(pledge=pledge)
    assert not RemovalBatch.objects.exists()


def test_how_we_count_lists_the_removals_by_day_and_reason(join, admin_user, client) -> None:
    assert "Nobody has been removed from the count." in client.get("/how-we-count/").content.decode()
    join("a@example.org")
    join("b@example.org")
    services.pledge_mark_spam(pledges=list(Pledge.objects.all()), actor=admin_user, reason="bots")
    html = client.get("/how-we-count/").content.decode()
    section = html[html.index('id="removals"') :]
    assert "<td>2</td><td>spam</td>" in section.replace("\n", "")
    assert "a@example.org" not in html
    fr = client.get("/fr/how-we-count/").content.decode()
    assert "Retirés du compte" in fr
