"""The count's public log: every +1/-1 of the people count, in an append-only RFC 9162 Merkle tree,
with signed tree heads. Nothing personal in it: a leaf is a receipt commitment, a day, a delta, kinds.

- `log_append` is called by the tally job (`tally.engine._apply_batch`) inside the batch's transaction,
  with each supporter's applied state before and after: the log and the aggregates commit together.
  On PostgreSQL an append is three statements whatever its size (`_append_leaves`: the tip, then one
  INSERT per table); the nodes it completes are computed in memory from the tip's O(log n) frontier.
- `log_sign_head` signs (tree_size, root, counted, timestamp) with Ed25519 when the log grew; called when
  a snapshot is published, so every tally run that appended entries publishes a head. It reads the tip
  once more, with the latest head and the deltas' sum since, and folds the root from it.
- Reads for the public endpoints (`log_entries`, `log_inclusion_proof`, `log_consistency_proof`) touch
  O(log n) stored hashes (`tally.merkle` explains the storage).
- `log_drift` and `log_repair` are the nightly recount's check of the log against the count.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from pledges.receipts import receipts_ensure
from tally import merkle
from tally.log_models import LogEntry, LogNode, LogSigningKey, SignedTreeHead
from tally.rules import SupporterState

logger = logging.getLogger(__name__)

HEAD_PREFIX = "quitgpt-log-v1"
ENTRIES_PAGE_MAX = 1000


# --- Leaves ---------------------------------------------------------------------------------------------
def leaf_of(*, commitment: str, day: date, delta: int, kinds: str) -> dict[str, Any]:
    return {
        "commitment": commitment,
        "day": day.isoformat(),
        "delta": delta,
        "kinds": sorted(kinds.split("+")),
    }


def entry_json(
    index: int, commitment: str, day: date, delta: int, kinds: str, leaf_hash: bytes
) -> dict[str, Any]:
    return {
        "index": index,
        "leaf": leaf_of(commitment=commitment, day=day, delta=delta, kinds=kinds),
        "leaf_hash": bytes(leaf_hash).hex(),
    }


# The start of every canonical leaf: its keys sort with "commitment" first.
_LEAF_HEAD = b'{"commitment":"'


def leaf_hashes(items: Iterable[tuple[str, date, int, str]]) -> list[bytes]:
    """The leaf hash of each (commitment, day, delta, kinds): SHA-256(0x00 || canonical_json(leaf_of(...))).

    Faster than building each leaf: a batch has few distinct (day, delta, kinds), so the canonical bytes
    after the commitment are made once each by `canonical_json` itself, and a commitment that json.dumps
    writes as it is (ASCII letters and digits: the hex of every receipt) is put in front of them. Anything
    else goes the long way. `test_the_fast_leaf_hashes_are_exactly_those_of_the_canonical_json` checks it.
    """
    tails: dict[tuple[date, int, str], bytes] = {}
    sha256 = hashlib.sha256
    out = []
    for commitment, day, delta, kinds in items:
        if type(delta) is int and commitment.isascii() and commitment.isalnum():
            tail = tails.get((day, delta, kinds))
            if tail is None:
                empty = merkle.canonical_json(leaf_of(commitment="", day=day, delta=delta, kinds=kinds))
                tail = tails[(day, delta, kinds)] = empty[len(_LEAF_HEAD) :]
            out.append(sha256(b"\x00" + _LEAF_HEAD + commitment.encode() + tail).digest())
        else:
            leaf = leaf_of(commitment=commitment, day=day, delta=delta, kinds=kinds)
            out.append(merkle.leaf_hash(merkle.canonical_json(leaf)))
    return out


def log_changes(
    changes: Iterable[tuple[int, SupporterState, SupporterState]],
) -> list[tuple[int, int, SupporterState]]:
    """(supporter_id, delta, state) for each entry a set of applied-state changes makes: +1 when a person
    starts to count, -1 when they stop, -1 then +1 when what (or the day) they count under changes."""
    out = []
    for sid, have, want in changes:
        if have.counted and want.counted and (have.kinds, have.day) == (want.kinds, want.day):
            continue  # a change of country or of held pledges only: the people count is untouched
        if have.counted:
            out.append((sid, -1, have))
        if want.counted:
            out.append((sid, +1, want))
    return out


# --- Storage --------------------------------------------------------------------------------------------
def log_size() -> int:
    last = LogEntry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _nodes(keys: set[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    """Stored hashes of perfect subtrees, in two queries whatever their number."""
    found: dict[merkle.NodeKey, bytes] = {}
    leaves = [index for level, index in keys if level == 0]
    if leaves:
        for index, h in LogEntry.objects.filter(index__in=leaves).values_list("index", "leaf_hash"):
            found[(0, index)] = bytes(h)
    inner = sorted(key for key in keys if key[0] > 0)
    if inner:
        table = LogNode._meta.db_table
        pairs = ", ".join(["(%s, %s)"] * len(inner))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT level, {connection.ops.quote_name('index')}, hash FROM {table} "  # noqa: S608  # nosec B608
                f"WHERE (level, {connection.ops.quote_name('index')}) IN ({pairs})",
                [v for key in inner for v in key],
            )
            for level, index, h in cursor.fetchall():
                found[(level, index)] = bytes(h)
    missing = keys - found.keys()
    if missing:
        raise LookupError(f"log nodes missing: {sorted(missing)[:5]}")
    return found


@dataclass(frozen=True)
class Tip:
    """The log's right edge: its size and the hashes of its perfect subtrees (`merkle.frontier_keys`, all
    an append and a root need); with the latest head (`_tip(with_head=True)`), that head's size and count
    and the sum of the deltas appended since."""

    size: int
    frontier: dict[merkle.NodeKey, bytes]
    head_size: int = 0
    head_counted: int = 0
    added: int = 0

    @property
    def root(self) -> bytes:
        keys = merkle.frontier_keys(self.size)
        return merkle.fold([self.frontier[key] for key in keys]) if keys else merkle.EMPTY_ROOT


# PostgreSQL, one statement: the last entry (the size, and the level-0 subtree when the size is odd), the
# stored node of each other bit b set in the size (level b, index (size >> b) - 1) and, for a head, the
# latest head and the sum of the deltas since (bounded on both sides: an index range scan even before
# the table has statistics; MATERIALIZED: computed once, not once per node).
_TIP_SQL = """
WITH last AS (SELECT {index}, leaf_hash FROM {entries} ORDER BY {index} DESC LIMIT 1){head_ctes}
SELECT last.{index}, last.leaf_hash, {head_columns}, node.level, node.hash
FROM last{head_join}
LEFT JOIN LATERAL (
    SELECT n.level, n.hash
    FROM (
        SELECT b.level FROM generate_series(1, 62) AS b(level)
        WHERE ((last.{index} + 1) >> b.level) & 1 = 1 OFFSET 0
    ) AS b
    JOIN {nodes} AS n ON n.level = b.level AND n.{index} = ((last.{index} + 1) >> b.level) - 1
) AS node ON TRUE
"""
_TIP_HEAD_CTES = """,
head AS (SELECT tree_size, counted FROM {heads} ORDER BY tree_size DESC LIMIT 1),
added AS MATERIALIZED (
    SELECT SUM(delta) AS total FROM {entries}
    WHERE {index} >= COALESCE((SELECT tree_size FROM head), 0) AND {index} <= (SELECT {index} FROM last)
)"""


def _tip(*, with_head: bool = False) -> Tip:
    """The log's tip, read in one statement on PostgreSQL (O(log n) rows), with the latest head and the
    deltas since when asked."""
    if connection.vendor != "postgresql":
        size = log_size()
        keys = set(merkle.frontier_keys(size))
        frontier = _nodes(keys) if keys else {}
        if not with_head:
            return Tip(size, frontier)
        head = SignedTreeHead.objects.order_by("-tree_size").values_list("tree_size", "counted").first()
        head_size, head_counted = head or (0, 0)
        added = LogEntry.objects.filter(index__gte=head_size).aggregate(s=Sum("delta"))["s"] or 0
        return Tip(size, frontier, head_size, head_counted, added)
    names = {
        "index": connection.ops.quote_name("index"),
        "entries": LogEntry._meta.db_table,
        "nodes": LogNode._meta.db_table,
        "heads": SignedTreeHead._meta.db_table,
    }
    sql = _TIP_SQL.format(
        **names,
        head_ctes=_TIP_HEAD_CTES.format(**names) if with_head else "",
        head_columns=(
            "(SELECT tree_size FROM head), (SELECT counted FROM head), added.total"
            if with_head
            else "NULL, NULL, NULL"
        ),
        head_join=" CROSS JOIN added" if with_head else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    if not rows:
        return Tip(0, {})
    last, last_hash, head_size, head_counted, added = rows[0][:5]
    size = last + 1
    frontier = {(level, (size >> level) - 1): bytes(h) for *_, level, h in rows if level is not None}
    if size & 1:
        frontier[(0, size - 1)] = bytes(last_hash)
    missing = set(merkle.frontier_keys(size)) - frontier.keys()
    if missing:
        raise LookupError(f"log nodes missing: {sorted(missing)[:5]}")
    return Tip(size, frontier, head_size or 0, head_counted or 0, added or 0)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple], types: tuple[str, ...]) -> None:
    """Insert many rows in one statement. PostgreSQL: one array parameter per column, `unnest`ed (a
    statement with thousands of placeholders costs more to bind than to run)."""
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        # Each column as one comma-joined text (the values are numbers, dates, hex and kinds: no commas),
        # split and cast by the server; bytes travel as bytea's hex input form.
        arrays = ", ".join(f"string_to_array(%s, ',')::{t}[]" for t in types)
        columns = [
            "\\x" + ",\\x".join(map(bytes.hex, column)) if t == "bytea" else ",".join(map(str, column))
            for column, t in zip(zip(*rows, strict=True), types, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})",  # noqa: S608  # nosec B608
                columns,
            )
        return
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    chunk = max(1, 900 // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row] * len(part))}",  # noqa: S608  # nosec B608
                [value for item in part for value in item],
            )


def _append_leaves(items: list[tuple[str, date, int, str]]) -> int:
    """Append (commitment, day, delta, kinds) leaves and the perfect nodes they complete. Call inside a
    transaction, under the tally lock (the primary key refuses a second writer's indices anyway).

    PostgreSQL: three statements whatever the number of leaves (the tip, then one INSERT per table).
    The new nodes come from the new leaves' hashes and the tip's frontier, in memory."""
    if not items:
        return 0
    hashes = leaf_hashes(items)
    tip = _tip()
    size = tip.size
    created = merkle.append_nodes(size, hashes, tip.frontier)
    _insert(
        LogEntry._meta.db_table,
        ("index", "commitment", "day", "delta", "kinds", "leaf_hash"),
        [(size + i, *item, h) for i, (item, h) in enumerate(zip(items, hashes, strict=True))],
        ("bigint", "text", "date", "smallint", "text", "bytea"),
    )
    _insert(
        LogNode._meta.db_table,
        ("level", "index", "hash"),
        [(lv, ix, h) for (lv, ix), h in created.items()],
        ("smallint", "bigint", "bytea"),
    )
    return len(items)


def log_append(
    changes: list[tuple[int, SupporterState, SupporterState]], commitments: Mapping[int, str] | None = None
) -> int:
    """Append the entries a batch of applied-state changes makes. Returns how many. `commitments`: the
    receipt commitments the caller already read ("" or absent: `receipts_ensure` gives one)."""
    entries = log_changes(changes)
    if not entries:
        return 0
    known = dict(commitments or {})
    missing = {sid for sid, _delta, _state in entries if not known.get(sid)}
    if missing:
        known.update(receipts_ensure(missing))
    return _append_leaves([(known[sid], st.day, delta, st.kinds) for sid, delta, st in entries])  # type: ignore[misc]


def log_append_counted(*, min_supporter_id: int) -> int:
    """+1 for every counted supporter from `min_supporter_id` on (bulk demo seeding writes applied
    states directly, without the job)."""
    from tally.models import SupporterTally

    rows = (
        SupporterTally.objects.filter(counted=True, supporter_id__gte=min_supporter_id)
        .order_by("supporter_id")
        .values_list("supporter_id", "day", "kinds")
    )
    total = 0
    batch: list[tuple[int, date, str]] = []
    for row in rows.iterator(chunk_size=10_000):
        batch.append(row)
        if len(batch) == 10_000:
            total += _append_counted(batch)
            batch = []
    return total + _append_counted(batch)


def _append_counted(batch: list[tuple[int, date, str]]) -> int:
    if not batch:
        return 0
    commitments = receipts_ensure(sid for sid, _day, _kinds in batch)
    return _append_leaves([(commitments[sid], day, +1, kinds) for sid, day, kinds in batch])


# --- Roots and proofs -------------------------------------------------------------------------------------
def log_root(tree_size: int) -> bytes:
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    return merkle.hashes_for([(0, tree_size)], _nodes)[0]


def log_inclusion_proof(*, index: int, tree_size: int) -> list[str]:
    return [h.hex() for h in merkle.hashes_for(merkle.inclusion_ranges(index, tree_size), _nodes)]


def log_consistency_proof(*, first: int, second: int) -> list[str]:
    return [h.hex() for h in merkle.hashes_for(merkle.consistency_ranges(first, second), _nodes)]


def log_entries(*, start: int, end: int) -> list[dict[str, Any]]:
    rows = LogEntry.objects.filter(index__gte=start, index__lt=end).order_by("index")
    return [
        entry_json(*row)
        for row in rows.values_list("index", "commitment", "day", "delta", "kinds", "leaf_hash")
    ]


def log_entries_of(commitment: str) -> list[dict[str, Any]]:
    rows = LogEntry.objects.filter(commitment=commitment).order_by("index")[:100]
    return [
        entry_json(*row)
        for row in rows.values_list("index", "commitment", "day", "delta", "kinds", "leaf_hash")
    ]


# --- Keys and heads ---------------------------------------------------------------------------------------
def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


# Derived keys by seed, for the life of the process (deriving costs more than signing).
_KEY_CACHE: dict[bytes, tuple[Ed25519PrivateKey, str]] = {}


def _key_of(seed: bytes) -> tuple[Ed25519PrivateKey, str]:
    cached = _KEY_CACHE.get(seed)
    if cached is None:
        key = Ed25519PrivateKey.from_private_bytes(seed)
        cached = _KEY_CACHE[seed] = (key, key_id_of(key.public_key().public_bytes_raw()))
    return cached


def _signing_key() -> tuple[Ed25519PrivateKey, str]:
    """The current key and its id, recording its public half for ever (so rotation keeps old heads
    verifiable). Embedded defaults: a key generated once and kept in the database. One query once the
    key is derived: that its row exists (LOG_SIGNING_KEY), or which generated key is newest (defaults)."""
    seed = settings.LOG_SIGNING_KEY
    recorded = False
    if not seed:
        stored = (
            LogSigningKey.objects.exclude(seed="")
            .order_by("-first_used_at", "-id")
            .values_list("seed", "key_id")
            .first()
        )
        if stored is None:
            generated = Ed25519PrivateKey.generate()
            seed_b64 = base64.b64encode(generated.private_bytes_raw()).decode()
            public = generated.public_key().public_bytes_raw()
            stored = (seed_b64, key_id_of(public))
            LogSigningKey.objects.create(
                key_id=stored[1], public_key=base64.b64encode(public).decode(), seed=seed_b64
            )
        seed = base64.b64decode(stored[0])
        recorded = _key_of(seed)[1] == stored[1]  # the generated key's row records its public half
    key, key_id = _key_of(seed)
    if not recorded and not LogSigningKey.objects.filter(key_id=key_id).exists():
        public = key.public_key().public_bytes_raw()
        LogSigningKey.objects.get_or_create(
            key_id=key_id, defaults={"public_key": base64.b64encode(public).decode()}
        )
    return key, key_id


def head_message(*, tree_size: int, root_hash: str, counted: int, timestamp: str) -> bytes:
    return f"{HEAD_PREFIX}\n{tree_size}\n{root_hash}\n{counted}\n{timestamp}\n".encode()


def log_latest_head() -> SignedTreeHead | None:
    return SignedTreeHead.objects.order_by("-tree_size").first()


def log_sign_head() -> SignedTreeHead | None:
    """Sign a head for the log as it is now, if it grew since the latest head; else return the latest.
    Idempotent and safe to race: a head per tree size (unique), the loser reads the winner's."""
    # The latest head, the size, the root's subtrees and the deltas since: one statement (PostgreSQL).
    tip = _tip(with_head=True)
    if tip.size <= tip.head_size:
        return log_latest_head()
    size = tip.size
    counted = tip.head_counted + tip.added
    root_hash = tip.root.hex()
    timestamp = timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    key, key_id = _signing_key()
    message = head_message(tree_size=size, root_hash=root_hash, counted=counted, timestamp=timestamp)
    signature = base64.b64encode(key.sign(message)).decode()
    head = SignedTreeHead(
        tree_size=size,
        root_hash=root_hash,
        counted=counted,
        timestamp=timestamp,
        signature=signature,
        key_id=key_id,
    )
    _insert_head(head)
    return head


def _insert_head(head: SignedTreeHead) -> None:
    """One INSERT that does nothing if a concurrent signer (a reported tally's publish, outside the job's
    lock) has signed this size; in the caller's transaction or none (bulk_create would open one: a BEGIN
    and a COMMIT more)."""
    columns = ("tree_size", "root_hash", "counted", "timestamp", "signature", "key_id", "created_at")
    values = [getattr(head, column) for column in columns]
    values[-1] = connection.ops.adapt_datetimefield_value(head.created_at)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SignedTreeHead._meta.db_table} ({quoted}) "  # noqa: S608  # nosec B608
            f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT (tree_size) DO NOTHING",
            values,
        )


def head_json(head: SignedTreeHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "counted": head.counted,
        "timestamp": head.timestamp,
        "signature": head.signature,
        "key_id": head.key_id,
    }


def log_summary() -> dict[str, Any]:
    """`/api/tally`'s "log": the head the people figure is backed by."""
    head = log_latest_head()
    if head is None:
        return {"tree_size": 0, "root_hash": merkle.EMPTY_ROOT.hex()}
    return {"tree_size": head.tree_size, "root_hash": head.root_hash}


def log_keys() -> dict[str, Any]:
    """The current public key and every older one (heads they signed stay verifiable)."""
    _key, current_id = _signing_key()
    keys = list(
        LogSigningKey.objects.order_by("first_used_at", "id").values("key_id", "public_key", "first_used_at")
    )
    current = next(k for k in keys if k["key_id"] == current_id)
    return {
        "algorithm": "ed25519",
        "public_key": current["public_key"],
        "key_id": current_id,
        "keys": [
            {
                "key_id": k["key_id"],
                "public_key": k["public_key"],
                "first_used_at": k["first_used_at"].isoformat(),
            }
            for k in keys
            if k["key_id"] != current_id
        ],
    }


# --- The recount's check ----------------------------------------------------------------------------------
def log_sum() -> int:
    return LogEntry.objects.aggregate(s=Sum("delta"))["s"] or 0


def log_drift(expected_people: int) -> dict[str, int]:
    """{"log:sum": found - expected} when the log's deltas do not sum to the people count, else {}."""
    found = log_sum()
    return {"log:sum": found - expected_people} if found != expected_people else {}


def log_repair() -> int:
    """Append the entries that bring each supporter's sum in the log back to their applied state (1 if
    counted, else 0). The log is append-only: a drift is corrected in the open, never rewritten."""
    from pledges.models import Supporter
    from tally.models import SupporterTally

    sums: Mapping[str, int] = defaultdict(int)
    last_plus: dict[str, tuple[date, str]] = {}
    for commitment, delta, day, kinds in (
        LogEntry.objects.order_by("index")
        .values_list("commitment", "delta", "day", "kinds")
        .iterator(chunk_size=10_000)
    ):
        sums[commitment] += delta  # type: ignore[index]
        if delta > 0:
            last_plus[commitment] = (day, kinds)
    counted = {
        commitment: (day, kinds)
        for commitment, day, kinds in SupporterTally.objects.filter(counted=True)
        .values_list("supporter__receipt_commitment", "day", "kinds")
        .iterator(chunk_size=10_000)
    }
    known = set(Supporter.objects.exclude(receipt_commitment="").values_list("receipt_commitment", flat=True))
    items: list[tuple[str, date, int, str]] = []
    for commitment in sorted(set(sums) | set(counted)):
        want = 1 if commitment in counted else 0
        have = sums.get(commitment, 0)
        if commitment not in known and commitment not in counted:
            want = 0  # an entry no supporter owns (tampering): cancel it too
        while have > want:
            day, kinds = (
                last_plus.get(commitment) or counted.get(commitment) or (timezone.now().date(), "cancelled")
            )
            items.append((commitment, day, -1, kinds))
            have -= 1
        while have < want:
            day, kinds = counted[commitment]
            items.append((commitment, day, +1, kinds))
            have += 1
    with transaction.atomic():
        return _append_leaves(items)
