"""The tally is exact through every change a pledge can go through, and the recount proves it."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import F

from pledges.models import Pledge, PledgeStatus, Supporter, pledge_counts
from tally.models import Recount, SupporterTally, TallyBucket, TallyCounter, TallySnapshot
from tally.rules import COUNTED_SQL, HELD, HELD_SQL, held_state
from tally.selectors import tally_current
from tally.services import tally_recompute, tally_recount
from tests.tally.conftest import change_pledge, confirm, make_pledge, true_people

pytestmark = pytest.mark.django_db


def counters() -> dict[str, int]:
    return dict(TallyCounter.objects.exclude(value=0).values_list("key", "value"))


def test_it_counts_a_pledge_only_once_confirmed() -> None:
    pledge = make_pledge("ada@example.org")
    tally_recompute()
    assert tally_current()["people"] == 0
    assert counters()["held:pending"] == 1  # kept, not published
    assert "pending" not in tally_current()["held"]
    confirm(pledge)
    tally_recompute()
    current = tally_current()
    assert current["people"] == current["total"] == 1
    assert current["by_kind"] == {"cancelled": 1, "shared": 0, "deleted": 0}
    assert "held:pending" not in counters()


def test_it_counts_people_not_pledges() -> None:
    confirm(make_pledge("ada@example.org", "cancelled"))
    confirm(make_pledge("ada@example.org", "shared"))
    confirm(make_pledge("bob@example.org", "shared"))
    tally_recompute()
    current = tally_current()
    assert current["people"] == 2
    assert current["by_kind"] == {"cancelled": 1, "shared": 2, "deleted": 0}
    assert TallyBucket.objects.get(kinds="cancelled+shared").count == 1


def test_a_withdrawal_spam_marking_and_suspicion_take_people_out_and_show_them_apart() -> None:
    a = confirm(make_pledge("a@example.org"))
    b = confirm(make_pledge("b@example.org"))
    c = confirm(make_pledge("c@example.org"))
    d = confirm(make_pledge("d@example.org"))
    tally_recompute()
    assert tally_current()["people"] == 4
    change_pledge(a, status=PledgeStatus.WITHDRAWN)
    change_pledge(b, status=PledgeStatus.SPAM)
    change_pledge(c, suspicious=True)
    tally_recompute()
    current = tally_current()
    assert current["people"] == 1 == true_people()
    assert current["held"] == {"suspicious": 1, "withdrawn": 1, "removed": 1}
    # A moderator clears the suspicion: back in.
    change_pledge(c, suspicious=False)
    change_pledge(d, status=PledgeStatus.WITHDRAWN)
    tally_recompute()
    assert tally_current()["people"] == 1
    assert tally_current()["held"] == {"suspicious": 0, "withdrawn": 2, "removed": 1}


def test_a_person_with_two_kinds_stays_counted_when_one_is_withdrawn() -> None:
    cancelled = confirm(make_pledge("ada@example.org", "cancelled"))
    confirm(make_pledge("ada@example.org", "shared"))
    tally_recompute()
    change_pledge(cancelled, status=PledgeStatus.WITHDRAWN)
    tally_recompute()
    current = tally_current()
    assert current["people"] == 1
    assert current["by_kind"] == {"cancelled": 0, "shared": 1, "deleted": 0}


def test_bulk_invalidation_of_many_pledges_is_exact() -> None:
    pledges = [confirm(make_pledge(f"p{i}@example.org", country="FR")) for i in range(30)]
    tally_recompute()
    assert tally_current()["by_country"] == {"FR": 30}
    ids = [p.id for p in pledges[:20]]
    # A bulk action: one UPDATE of the pledges, one of their supporters' flags, in one transaction.
    Pledge.objects.filter(id__in=ids).update(status=PledgeStatus.SPAM)
    Supporter.objects.filter(pledges__id__in=ids).update(tally_dirty=True)
    result = tally_recompute(batch_size=7)
    assert result.batches == 3
    current = tally_current()
    assert current["people"] == 10 == true_people()
    assert current["by_country"] == {"FR": 10}
    assert current["held"]["removed"] == 20


def test_a_supporter_counts_from_its_earliest_counted_confirmation_in_the_persons_country() -> None:
    early = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    late = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    confirm(make_pledge("ada@example.org", "shared", country="DE"), at=late)
    first = confirm(make_pledge("ada@example.org", "cancelled"), at=early)
    tally_recompute()
    state = SupporterTally.objects.get()
    assert (state.day.isoformat(), state.country, state.kinds) == ("2026-03-01", "DE", "cancelled+shared")
    change_pledge(first, status=PledgeStatus.WITHDRAWN)
    tally_recompute()
    state.refresh_from_db()
    assert (state.day.isoformat(), state.country, state.kinds) == ("2026-03-05", "DE", "shared")
    # The country is the person's: changed on the supporter (with the dirty mark), the bucket follows.
    Supporter.objects.filter(pk=first.supporter_id).update(country="FR", tally_dirty=True)
    tally_recompute()
    assert list(TallyBucket.objects.exclude(count=0).values_list("country", "count")) == [("FR", 1)]
    assert tally_current()["by_country"] == {"FR": 1}


def test_an_erased_supporter_is_uncounted_not_lost() -> None:
    pledge = confirm(make_pledge("ada@example.org"))
    tally_recompute()
    # Erasure (pledges services): anonymise the mailbox and the pledge, withdraw, mark dirty.
    Supporter.objects.filter(pk=pledge.supporter_id).update(email_normalised="erased-1@erased.invalid")
    change_pledge(pledge, status=PledgeStatus.WITHDRAWN, email="erased-1@erased.invalid")
    tally_recompute()
    assert tally_current()["people"] == 0
    assert tally_current()["held"]["withdrawn"] == 1


def test_an_unchanged_run_confirms_the_snapshot_instead_of_writing_a_new_one() -> None:
    confirm(make_pledge("ada@example.org"))
    first = tally_recompute()
    second = tally_recompute()
    assert first.published and not second.published
    assert second.snapshot_id == first.snapshot_id
    assert TallySnapshot.objects.count() == 1


def _ids_where(condition: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p.id FROM {Pledge._meta.db_table} p WHERE {condition}")
        return {row[0] for row in cursor.fetchall()}


def test_every_form_of_the_counting_rule_agrees_on_every_status_and_flag() -> None:
    combinations = [(status, flag) for status in PledgeStatus.values for flag in (False, True)]
    for i, (status, suspicious) in enumerate(combinations):
        make_pledge(f"x{i}@example.org", status=status, suspicious=suspicious)
    # The rule (pledges.models.pledge_counts) and its held classes (tally.rules.held_state), per pledge.
    expected = {p.id: held_state(p.status, p.suspicious) for p in Pledge.objects.all()}
    counted = {pid for pid, state in expected.items() if state is None}
    assert counted == {p.id for p in Pledge.objects.all() if pledge_counts(p.status, p.suspicious)}
    assert set(Pledge.objects.counted().values_list("id", flat=True)) == counted
    assert _ids_where(COUNTED_SQL) == counted
    assert _ids_where(f"NOT ({COUNTED_SQL})") == set(expected) - counted
    for state in HELD:
        assert _ids_where(HELD_SQL[state]) == {pid for pid, s in expected.items() if s == state}, state


def test_the_counting_rule_is_as_how_we_count_describes_it() -> None:
    combinations = [(status, flag) for status in PledgeStatus.values for flag in (False, True)]
    held = {(status, flag): held_state(status, flag) for status, flag in combinations}
    assert held == {
        ("confirmed", False): None,
        ("confirmed", True): "suspicious",
        ("pending", False): "pending",
        ("pending", True): "pending",  # a flag on an unconfirmed pledge shows nowhere public
        ("withdrawn", False): "withdrawn",
        ("withdrawn", True): "withdrawn",
        ("spam", False): "removed",
        ("spam", True): "removed",
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_stay_exact_and_the_recount_finds_no_drift(seed: int) -> None:
    rng = random.Random(seed)
    pledges: list[Pledge] = []
    taken: set[tuple[str, str]] = set()
    for step in range(80):
        action = rng.random()
        if action < 0.4 or not pledges:
            email = f"u{rng.randrange(40)}@example.org" if rng.random() < 0.5 else f"n{step}@example.org"
            kind = rng.choice(["cancelled", "shared"])
            if (email, kind) in taken:
                continue
            taken.add((email, kind))
            pledges.append(make_pledge(email, kind, country=rng.choice(["FR", "US", ""])))
        else:
            pledge = rng.choice(pledges)
            change_pledge(
                pledge,
                status=rng.choice(PledgeStatus.values),
                suspicious=rng.random() < 0.2,
                confirmed_at=datetime(2026, 3, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC),
            )
        if rng.random() < 0.15:
            tally_recompute(batch_size=rng.choice([1, 3, 50]))
            assert tally_current()["people"] == true_people()
    tally_recompute()
    assert tally_current()["people"] == true_people()
    recount = tally_recount()
    assert recount is not None and recount.matched and recount.drift == 0


def test_the_recount_finds_and_repairs_a_change_made_without_the_dirty_flag() -> None:
    for i in range(5):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    # A bug elsewhere: a pledge is withdrawn without marking its supporter dirty.
    Pledge.objects.filter(email_normalised="p0@example.org").update(status=PledgeStatus.WITHDRAWN)
    tally_recompute()
    assert tally_current()["people"] == 5  # the incremental job cannot see it...
    recount = tally_recount()
    assert recount.drift == 1 and recount.repaired and not recount.matched
    assert tally_current()["people"] == 4 == true_people()
    assert tally_recount().matched
    assert Recount.objects.count() == 2


def test_the_recount_repairs_tampered_aggregates() -> None:
    for i in range(3):
        confirm(make_pledge(f"p{i}@example.org", country="FR"))
    tally_recompute()
    TallyBucket.objects.update(count=F("count") + 7)
    TallyCounter.objects.filter(key="people").update(value=F("value") + 7)
    recount = tally_recount()
    assert recount.drift == 7 and recount.repaired
    assert tally_current()["people"] == 3
    assert TallyBucket.objects.get().count == 3


def test_pending_changes_are_applied_before_the_recount_compares() -> None:
    confirm(make_pledge("a@example.org"))
    recount = tally_recount()
    assert recount.matched and recount.expected_people == 1


@pytest.mark.postgres
def test_the_recount_is_set_based_on_postgresql() -> None:
    assert connection.vendor == "postgresql"
    confirm(make_pledge("a@example.org"))
    tally_recompute()
    assert tally_recount().matched


@pytest.mark.postgres
@pytest.mark.parametrize("set_based", [True, False])
def test_both_repair_paths_find_exactly_the_supporters_changed_behind_the_jobs_back(set_based: bool) -> None:
    from tally.services import _rebuild_applied_state

    pledges = [confirm(make_pledge(f"p{i}@example.org", country=["FR", "DE"][i % 2])) for i in range(6)]
    confirm(make_pledge("p0@example.org", "shared"))  # two kinds, one person, one country
    make_pledge("pending@example.org", suspicious=True)
    tally_recompute()
    assert _rebuild_applied_state(set_based=set_based) == 0
    tally_recompute()
    # Changes made without the dirty flag (a bug elsewhere):
    Pledge.objects.filter(pk=pledges[1].pk).update(status=PledgeStatus.WITHDRAWN)
    Pledge.objects.filter(pk=pledges[2].pk).update(kind="shared")
    Supporter.objects.filter(pk=pledges[3].supporter_id).update(country="IT")
    Pledge.objects.filter(email_normalised="pending@example.org").update(status=PledgeStatus.SPAM)
    changed = {pledges[1].supporter_id, pledges[2].supporter_id, pledges[3].supporter_id}
    changed.add(Supporter.objects.get(email_normalised="pending@example.org").pk)
    found = _rebuild_applied_state(set_based=set_based)
    dirty = set(Supporter.objects.filter(tally_dirty=True).values_list("id", flat=True))
    assert changed <= dirty
    assert found == len(dirty) and dirty == changed
    tally_recompute()
    assert tally_current()["people"] == true_people()
