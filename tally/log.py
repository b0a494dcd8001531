"""The count's public log: every +1/-1 of the people count, in an append-only RFC 9162 Merkle tree,
with signed tree heads. Nothing personal in it: a leaf is a receipt commitment, a day, a delta, kinds.

- `log_append` is called by the tally job (`tally.engine._apply_batch`) inside the batch's transaction,
  with each supporter's applied state before and after: the log and the aggregates commit together.
- `log_sign_head` signs (tree_size, root, counted, timestamp) with Ed25519 when the log grew; called when
  a snapshot is published, so every tally run that appended entries publishes a head.
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
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Sum
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
            ",".join(("\\x" + v.hex()) if isinstance(v, bytes) else str(v) for v in column)
            for column in zip(*rows, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})",  # noqa: S608  # nosec B608
                columns,
            )
        return
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    chunk = 1000 if connection.vendor == "postgresql" else max(1, 900 // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row] * len(part))}",  # noqa: S608  # nosec B608
                [value for item in part for value in item],
            )


def _append_leaves(items: list[tuple[str, date, int, str]]) -> int:
    """Append (commitment, day, delta, kinds) leaves and the perfect nodes they complete. Call inside a
    transaction, under the tally lock (the primary key refuses a second writer's indices anyway)."""
    if not items:
        return 0
    size = log_size()
    rows = []
    hashes = []
    for offset, (commitment, day, delta, kinds) in enumerate(items):
        leaf = leaf_of(commitment=commitment, day=day, delta=delta, kinds=kinds)
        h = merkle.leaf_hash(merkle.canonical_json(leaf))
        hashes.append(h)
        rows.append((size + offset, commitment, day, delta, kinds, h))
    frontier = _nodes(set(merkle.frontier_keys(size))) if size else {}
    created = merkle.append_nodes(size, hashes, frontier)
    _insert(
        LogEntry._meta.db_table,
        ("index", "commitment", "day", "delta", "kinds", "leaf_hash"),
        rows,
        ("bigint", "text", "date", "smallint", "text", "bytea"),
    )
    _insert(
        LogNode._meta.db_table,
        ("level", "index", "hash"),
        [(lv, ix, h) for (lv, ix), h in created.items()],
        ("smallint", "bigint", "bytea"),
    )
    return len(items)


def log_append(changes: list[tuple[int, SupporterState, SupporterState]]) -> int:
    """Append the entries a batch of applied-state changes makes. Returns how many."""
    entries = log_changes(changes)
    if not entries:
        return 0
    commitments = receipts_ensure(sid for sid, _delta, _state in entries)
    return _append_leaves([(commitments[sid], st.day, delta, st.kinds) for sid, delta, st in entries])  # type: ignore[misc]


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


_KEY_CACHE: dict[bytes, tuple[Ed25519PrivateKey, str]] = {}


def _signing_key() -> tuple[Ed25519PrivateKey, str]:
    """The current key and its id, recording its public half for ever (so rotation keeps old heads
    verifiable). Embedded defaults: a key generated once and kept in the database."""
    seed = settings.LOG_SIGNING_KEY
    cached = _KEY_CACHE.get(seed) if seed else None
    if cached is not None and LogSigningKey.objects.filter(key_id=cached[1]).exists():
        return cached
    if not seed:
        row = LogSigningKey.objects.exclude(seed="").order_by("-first_used_at", "-id").first()
        if row is None:
            generated = Ed25519PrivateKey.generate()
            seed_b64 = base64.b64encode(generated.private_bytes_raw()).decode()
            public = generated.public_key().public_bytes_raw()
            row = LogSigningKey.objects.create(
                key_id=key_id_of(public), public_key=base64.b64encode(public).decode(), seed=seed_b64
            )
        seed = base64.b64decode(row.seed)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    key_id = key_id_of(public)
    LogSigningKey.objects.get_or_create(
        key_id=key_id, defaults={"public_key": base64.b64encode(public).decode()}
    )
    if settings.LOG_SIGNING_KEY:
        _KEY_CACHE[settings.LOG_SIGNING_KEY] = (key, key_id)
    return key, key_id


def head_message(*, tree_size: int, root_hash: str, counted: int, timestamp: str) -> bytes:
    return f"{HEAD_PREFIX}\n{tree_size}\n{root_hash}\n{counted}\n{timestamp}\n".encode()


def log_latest_head() -> SignedTreeHead | None:
    return SignedTreeHead.objects.order_by("-tree_size").first()


def log_sign_head() -> SignedTreeHead | None:
    """Sign a head for the log as it is now, if it grew since the latest head; else return the latest.
    Idempotent and safe to race: a head per tree size (unique), the loser reads the winner's."""
    latest = log_latest_head()
    since = latest.tree_size if latest else 0
    # The size and the deltas since the latest head in one read of the new entries (index order).
    found = LogEntry.objects.filter(index__gte=since).aggregate(last=Max("index"), added=Sum("delta"))
    if found["last"] is None:
        return latest
    size = found["last"] + 1
    counted = (latest.counted if latest else 0) + (found["added"] or 0)
    root_hash = log_root(size).hex()
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
    # A concurrent signer (a reported tally's publish, outside the job's lock) may have signed this size.
    SignedTreeHead.objects.bulk_create([head], ignore_conflicts=True)
    return head


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
