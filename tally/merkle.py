"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, as pure functions.

No Django here: `scripts/verify_count.py` carries its own copy of the verification half, and the tests
check both against the definitions of RFC 9162 section 2.1 (MTH, PATH, PROOF/SUBPROOF, and the
verification algorithms of 2.1.3.2 and 2.1.4.2).

Storage model: the log keeps the hash of every *complete perfect subtree*, `node(level, index)` covering
leaves `[index * 2**level, (index + 1) * 2**level)`; level 0 are the leaf hashes. Every subtree the RFC's
recursion names is aligned and decomposes into at most log2(n) such nodes (`range_nodes`), so a proof or
a historic root reads O(log n) stored hashes, never the whole tree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

NodeKey = tuple[int, int]  # (level, index)
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256()


def canonical_json(leaf: Mapping[str, Any]) -> bytes:
    return json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, recursively, straight from the definition (reference for the tests)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> tuple[int, bytes]:
    """(size, MTH) of a stream of leaf hashes in O(log n) memory: a stack of perfect subtrees."""
    stack: list[tuple[int, bytes]] = []  # (size, hash), sizes strictly decreasing
    size = 0
    for h in leaf_hashes:
        size += 1
        width, current = 1, h
        while stack and stack[-1][0] == width:
            current = node_hash(stack.pop()[1], current)
            width *= 2
        stack.append((width, current))
    if not stack:
        return 0, EMPTY_ROOT
    root = stack[-1][1]
    for _width, h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return size, root


# --- Which stored nodes a subtree needs --------------------------------------------------------------------
def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The perfect stored subtrees whose hashes fold into MTH(D[start:end]), left to right.

    Valid for the ranges the RFC's recursion produces (start aligned to the power of two >= end-start):
    the decomposition of end-start into powers of two, largest first.
    """
    keys = []
    offset = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        keys.append((level, offset >> level))
        offset += 1 << level
        remaining -= 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees with decreasing sizes: H(p1, H(p2, ... pk))."""
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def inclusion_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """PATH(m, D[n]) as the leaf ranges whose MTH it lists, from the leaf's sibling up (RFC 9162 2.1.3.1)."""
    if not 0 <= m < n:
        raise ValueError("need 0 <= leaf index < tree size")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = split_point(hi - lo)
        if m - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def consistency_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges, in the RFC's order (RFC 9162 2.1.4.1).

    Empty when m == n or m == 0 (nothing to prove).
    """
    if not 0 <= m <= n:
        raise ValueError("need 0 <= first <= second")
    if m == 0 or m == n:
        return []
    out: list[tuple[int, int]] = []  # built leaf-side first, reversed at the end
    lo, hi, b, mm = 0, n, True, m
    while True:
        size = hi - lo
        if mm == size:
            if not b:
                out.append((lo, hi))
            break
        k = split_point(size)
        if mm <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, mm, b = lo + k, mm - k, False
    out.reverse()
    return out


def hashes_for(
    ranges: Sequence[tuple[int, int]], nodes: Callable[[set[NodeKey]], Mapping[NodeKey, bytes]]
) -> list[bytes]:
    """MTH of each range from stored perfect nodes, fetched in one call to `nodes(keys)`."""
    wanted = {key for start, end in ranges for key in range_nodes(start, end)}
    found = nodes(wanted) if wanted else {}
    return [fold([found[key] for key in range_nodes(start, end)]) for start, end in ranges]


# --- Appending ----------------------------------------------------------------------------------------------
def frontier_keys(size: int) -> list[NodeKey]:
    """The stored nodes a tree of `size` leaves must reuse when more leaves are appended: its perfect
    subtrees (one per bit set in `size`)."""
    return range_nodes(0, size)


def append_nodes(
    size: int, new_leaves: Sequence[bytes], frontier: Mapping[NodeKey, bytes]
) -> dict[NodeKey, bytes]:
    """The new perfect nodes (level >= 1) completed by appending `new_leaves` to a tree of `size` leaves.

    `frontier` holds the hashes of `frontier_keys(size)`. Each new leaf closes one perfect subtree per
    trailing 1 bit of its index (leaf 7 closes (1, 3), (2, 1) and (3, 0)); the left halves they need are
    the frontier's subtrees, kept as a stack (largest at the bottom), so nothing else is read.
    """
    stack = [frontier[key] for key in frontier_keys(size)]
    created: dict[NodeKey, bytes] = {}
    for index, h in enumerate(new_leaves, start=size):
        level = 0
        while index & 1:
            h = node_hash(stack.pop(), h)
            level, index = level + 1, index >> 1
            created[(level, index)] = h
        stack.append(h)
    return created


# --- Verification (RFC 9162 2.1.3.2 and 2.1.4.2) -------------------------------------------------
def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    if not 0 <= leaf_index < tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the old root is itself a node of the new tree
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
