"""tally.merkle against RFC 9162 section 2.1, written out here as the RFC states it (recursively)."""

from __future__ import annotations

import hashlib

import pytest

from tally import merkle

SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def _rfc_mth(d: list[bytes]) -> bytes:
    # MTH({}) = SHA-256(); MTH({d0}) = leaf hash; else split at k, the largest power of two < n.
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc_mth(d[:k]) + _rfc_mth(d[k:])).digest()


def _rfc_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*_rfc_path(m, d[:k]), _rfc_mth(d[k:])]
    return [*_rfc_path(m - k, d[k:]), _rfc_mth(d[:k])]


def _rfc_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [_rfc_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*_rfc_subproof(m, d[:k], b), _rfc_mth(d[k:])]
    return [*_rfc_subproof(m - k, d[k:], False), _rfc_mth(d[:k])]


def _store(d: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect node, built by appending the leaves in uneven chunks as the log does."""
    nodes = {(0, i): h for i, h in enumerate(d)}
    size = 0
    for chunk in (1, 2, 3, 7, 1, 50, 1000):
        part = d[size : size + chunk]
        if not part:
            break
        frontier = {key: nodes[key] for key in merkle.frontier_keys(size)}
        nodes.update(merkle.append_nodes(size, part, frontier))
        size += len(part)
    return nodes


def test_it_hashes_leaves_and_nodes_with_the_rfc_prefixes():
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.mth([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", [0, *SIZES])
def test_it_computes_the_rfc_tree_hash_for_sizes_that_are_and_are_not_powers_of_two(n):
    d = _leaves(n)
    assert merkle.mth(d) == _rfc_mth(d)
    assert merkle.root_from_leaves(iter(d)) == (n, _rfc_mth(d))
    if n:
        nodes = _store(d)
        assert merkle.hashes_for([(0, n)], lambda keys: {k: nodes[k] for k in keys}) == [_rfc_mth(d)]


@pytest.mark.parametrize("n", SIZES)
def test_it_builds_and_verifies_rfc_inclusion_proofs_from_stored_nodes(n):
    d = _leaves(n)
    nodes = _store(d)
    root = _rfc_mth(d)
    for m in range(n):
        proof = merkle.hashes_for(merkle.inclusion_ranges(m, n), lambda keys: {k: nodes[k] for k in keys})
        assert proof == _rfc_path(m, d)
        assert len(proof) <= max(1, (n - 1).bit_length())
        assert merkle.verify_inclusion(m, n, d[m], proof, root)
        assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(b"other"), proof, root)
        if proof:
            assert not merkle.verify_inclusion(m, n, d[m], proof[:-1], root)
            bad = [*proof[:-1], merkle.leaf_hash(b"forged")]
            assert not merkle.verify_inclusion(m, n, d[m], bad, root)


@pytest.mark.parametrize("n", SIZES)
def test_it_builds_and_verifies_rfc_consistency_proofs_from_stored_nodes(n):
    d = _leaves(n)
    nodes = _store(d)
    new_root = _rfc_mth(d)
    for m in range(1, n + 1):
        proof = merkle.hashes_for(merkle.consistency_ranges(m, n), lambda keys: {k: nodes[k] for k in keys})
        assert proof == (_rfc_subproof(m, d, True) if m < n else [])
        old_root = _rfc_mth(d[:m])
        assert merkle.verify_consistency(m, n, old_root, new_root, proof)
        assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"rewritten"), new_root, proof)
        if m < n:
            assert not merkle.verify_consistency(m, n, old_root, merkle.leaf_hash(b"forked"), proof)
            assert not merkle.verify_consistency(m, n, old_root, new_root, proof[:-1])


def test_it_needs_only_logarithmically_many_stored_nodes_for_a_proof():
    n = 2_000_000
    for m in (0, 1, 999_999, 1_048_575, 1_048_576, n - 1):
        keys = {k for r in merkle.inclusion_ranges(m, n) for k in merkle.range_nodes(*r)}
        assert len(keys) <= 2 * n.bit_length()
    keys = {k for r in merkle.consistency_ranges(1_234_567, n) for k in merkle.range_nodes(*r)}
    assert len(keys) <= 2 * n.bit_length()


def test_it_refuses_impossible_indices():
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(6, 5)
    assert not merkle.verify_inclusion(3, 3, b"", [], b"")
