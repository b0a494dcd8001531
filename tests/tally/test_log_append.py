"""What makes the log's append cheap, pinned: a constant number of statements whatever the number of
entries, nodes computed incrementally that equal a computation from scratch, leaf hashes written fast
that equal the canonical JSON's, and receipts filled in one statement."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pledges.models import Supporter
from pledges.receipts import receipt_commitment, receipts_ensure
from tally import log, merkle
from tally.log_models import LogEntry, LogNode, LogSigningKey, SignedTreeHead
from tally.services import tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


def _items(start: int, count: int) -> list[tuple[str, date, int, str]]:
    """Leaves like real ones: SHA-256 commitments, a few days and kinds, some withdrawals."""
    return [
        (
            hashlib.sha256(b"c%d" % i).hexdigest(),
            date(2026, 3, 1 + i % 3),
            -1 if i % 7 == 6 else 1,
            ("cancelled", "shared", "cancelled+shared")[i % 3],
        )
        for i in range(start, start + count)
    ]


def _append(count: int) -> None:
    log._append_leaves(_items(LogEntry.objects.count(), count))


def _append_statements(count: int) -> int:
    items = _items(LogEntry.objects.count(), count)
    with CaptureQueriesContext(connection) as queries:
        log._append_leaves(items)
    return len(queries)


def _statements(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def _all_perfect_nodes(leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete perfect subtree of level >= 1, each computed from its leaves by MTH."""
    nodes = {}
    level = 1
    while 1 << level <= len(leaf_hashes):
        width = 1 << level
        for index in range(len(leaf_hashes) // width):
            nodes[(level, index)] = merkle.mth(leaf_hashes[index * width : (index + 1) * width])
        level += 1
    return nodes


@pytest.mark.postgres  # elsewhere rows go in chunks of at most 999 parameters
def test_an_append_issues_the_same_statements_for_one_entry_as_for_a_thousand() -> None:
    _append(5)  # a log with a frontier to read
    one = _append_statements(1)
    thousand = _append_statements(1000)
    another = _append_statements(999)  # onto a size whose frontier has many subtrees
    assert one == thousand == another == 3  # the tip, the entries, the nodes


@pytest.mark.postgres
def test_a_head_issues_the_same_statements_whatever_the_log_grew_by() -> None:
    _append(3)
    log.log_sign_head()
    _append(1)
    small = _statements(log.log_sign_head)
    _append(1000)
    large = _statements(log.log_sign_head)
    assert small == large == 3  # the tip with the latest head, the key's row, the head's INSERT


@pytest.mark.postgres
def test_a_tally_run_logs_a_hundred_confirmations_with_the_statements_it_needs_for_five() -> None:
    def run_with(n: int, tag: str) -> int:
        for i in range(n):
            confirm(make_pledge(f"{tag}{i}@example.org"))
        with CaptureQueriesContext(connection) as queries:
            tally_recompute()
        assert LogEntry.objects.filter(commitment__in=Supporter.objects.values("receipt_commitment")).exists()
        return len(queries)

    run_with(1, "warm")  # the first run also creates the key's row and the first snapshot rows
    assert run_with(5, "a") == run_with(100, "b")
    assert log.log_latest_head().tree_size == LogEntry.objects.count() == 106


@pytest.mark.parametrize(
    ("batches", "size"),
    [
        ((1,), 1),
        ((1, 1), 2),
        ((3, 4), 7),
        ((1, 2, 5), 8),
        ((7, 1, 1, 23, 32), 64),
        ((2, 1, 50, 47), 100),
        ((1, 127, 2, 100, 27), 257),
        ((511, 1, 511, 1), 1024),
    ],
)
def test_the_stored_nodes_equal_a_computation_from_scratch_after_uneven_batches(batches, size) -> None:
    assert sum(batches) == size
    heads = []
    for batch in batches:
        _append(batch)
        heads.append(log.log_sign_head())
    leaf_hashes = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert len(leaf_hashes) == size
    stored = {
        (level, index): bytes(h) for level, index, h in LogNode.objects.values_list("level", "index", "hash")
    }
    assert stored == _all_perfect_nodes(leaf_hashes)
    assert LogNode.objects.count() == len(stored)  # each stored once
    # Every head's root and count, as signed, follow from the leaves alone.
    deltas = list(LogEntry.objects.order_by("index").values_list("delta", flat=True))
    for head in heads:
        assert head.root_hash == merkle.mth(leaf_hashes[: head.tree_size]).hex()
        assert head.counted == sum(deltas[: head.tree_size])
        assert log.log_root(head.tree_size).hex() == head.root_hash
    assert SignedTreeHead.objects.count() == len(batches)


@hsettings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text("0123456789abcdef", min_size=64, max_size=64),
        st.text(max_size=70),  # anything else goes the long way, with the same bytes
    ),
    st.dates(),
    st.sampled_from([1, -1]),
    st.lists(st.text(min_size=1, max_size=12).filter(lambda k: "+" not in k), min_size=1, max_size=3).map(
        "+".join
    ),
)
def test_the_fast_leaf_hashes_are_exactly_those_of_the_canonical_json(commitment, day, delta, kinds) -> None:
    leaf = log.leaf_of(commitment=commitment, day=day, delta=delta, kinds=kinds)
    expected = merkle.leaf_hash(merkle.canonical_json(leaf))
    other = ("f" * 64, day, delta, kinds)  # a batch shares its (day, delta, kinds) parts
    assert log.leaf_hashes([other, (commitment, day, delta, kinds)])[1] == expected


def test_the_log_stores_the_leaf_hash_the_issue_specifies() -> None:
    log._append_leaves([("ab" * 32, DAY, -1, "shared+cancelled")])
    canonical = (
        b'{"commitment":"' + b"ab" * 32 + b'","day":"2026-03-01","delta":-1,"kinds":["cancelled","shared"]}'
    )
    assert bytes(LogEntry.objects.get().leaf_hash) == hashlib.sha256(b"\x00" + canonical).digest()


@pytest.mark.postgres
def test_receipts_are_read_and_missing_ones_filled_in_one_statement() -> None:
    pledges = [make_pledge(f"r{i}@example.org") for i in range(30)]
    ids = [p.supporter_id for p in pledges]
    kept = dict(Supporter.objects.filter(id__in=ids[:10]).values_list("id", "receipt_commitment"))
    Supporter.objects.filter(id__in=ids[10:]).update(receipt_secret="", receipt_commitment="")
    with CaptureQueriesContext(connection) as queries:
        found = receipts_ensure([*ids, 10**9])  # an id that does not exist is left out
    assert len(queries) == 1
    assert set(found) == set(ids)
    rows = dict(Supporter.objects.filter(id__in=ids).values_list("id", "receipt_secret"))
    for sid in ids:
        assert found[sid] == receipt_commitment(rows[sid])  # a commitment of the stored secret
        if sid in kept:
            assert found[sid] == kept[sid]  # never changed
    assert len(set(found.values())) == len(ids)


def test_the_signing_key_is_derived_once_yet_its_public_half_stays_recorded(settings) -> None:
    settings.LOG_SIGNING_KEY = b"\x05" * 32
    _append(2)
    first = log.log_sign_head()
    LogSigningKey.objects.all().delete()  # e.g. a restored database: the cached key must be recorded again
    _append(1)
    second = log.log_sign_head()
    assert first.key_id == second.key_id
    assert LogSigningKey.objects.filter(key_id=second.key_id).exists()
    with CaptureQueriesContext(connection) as queries:
        log._signing_key()
    assert len(queries) == 1  # known key: only the check that its row exists
