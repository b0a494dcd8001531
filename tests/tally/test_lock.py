"""Only one tally run at a time, and two runs started together still count every change exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tally.models import TallyCounter
from tally.services import LOCK_KEY, tally_recompute
from tests.tally.conftest import confirm, make_pledge, true_people

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(fn, results: list, index: int, barrier: threading.Barrier | None = None) -> threading.Thread:
    def run() -> None:
        try:
            if barrier is not None:
                barrier.wait(10)
            results[index] = fn()
        except Exception as exc:  # reported by the test
            results[index] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_run_skips_while_another_holds_the_lock() -> None:
    confirm(make_pledge("ada@example.org"))
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        holding.set()
        release.wait(20)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return True

    results: list = [None]
    thread = _in_thread(hold, results, 0)
    assert holding.wait(10)
    try:
        assert tally_recompute().ran is False
        assert not TallyCounter.objects.filter(key="people").exists()
    finally:
        release.set()
        thread.join(20)
    assert results[0] is True
    result = tally_recompute()
    assert result.ran and result.changed == 1


def test_two_concurrent_runs_apply_each_change_once() -> None:
    for i in range(300):
        confirm(make_pledge(f"p{i}@example.org"))
    results: list = [None, None]
    barrier = threading.Barrier(2)
    threads = [
        _in_thread(lambda: tally_recompute(batch_size=20, wait=30), results, i, barrier) for i in range(2)
    ]
    for thread in threads:
        thread.join(60)
    assert not any(isinstance(r, Exception) for r in results), results
    assert all(r.ran for r in results)
    # The lock serialised them: one did the work, the other found nothing left.
    assert sorted(r.changed for r in results) == [0, 300]
    assert TallyCounter.objects.get(key="people").value == 300 == true_people()


def test_batches_skip_supporters_locked_by_an_unfinished_change() -> None:
    """SKIP LOCKED: a supporter row held by a transaction still in flight is left for the next run."""
    from django.db import transaction

    from pledges.models import Pledge, Supporter

    a = confirm(make_pledge("a@example.org"))
    confirm(make_pledge("b@example.org"))
    in_flight, finish = threading.Event(), threading.Event()

    def withdraw_slowly() -> bool:
        with transaction.atomic():
            Supporter.objects.filter(pk=a.supporter_id).update(tally_dirty=True)
            Pledge.objects.filter(pk=a.pk).update(status="withdrawn")
            in_flight.set()
            finish.wait(20)
        return True

    results: list = [None]
    thread = _in_thread(withdraw_slowly, results, 0)
    assert in_flight.wait(10)
    try:
        first = tally_recompute()
        assert first.changed == 1  # b only: a's row is locked by the unfinished withdrawal
    finally:
        finish.set()
        thread.join(20)
    tally_recompute()
    assert TallyCounter.objects.get(key="people").value == 1 == true_people()
