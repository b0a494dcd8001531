#!/usr/bin/env python3
"""Check the QuitGPT count yourself: download its public log and verify it, trusting nothing we say.

    pip install cryptography
    python3 verify_count.py https://quitgpt.example
    python3 verify_count.py https://quitgpt.example --receipt YOUR-RECEIPT-SECRET
    python3 verify_count.py https://quitgpt.example --save-head head.json      # keep today's head
    python3 verify_count.py https://quitgpt.example --saved-head head.json     # later: nothing rewritten?

What it checks, each said plainly (exit status 0 only if every check holds):
1. the latest tree head is signed by the site's published Ed25519 key (message
   "quitgpt-log-v1\\n{tree_size}\\n{root_hash}\\n{counted}\\n{timestamp}\\n");
2. every entry of the log, downloaded page by page, is well formed and its leaf hash is
   SHA-256(0x00 || canonical JSON of the leaf);
3. the RFC 9162 Merkle tree hash of all the entries equals the signed root hash;
4. the deltas (+1/-1) sum to the signed count, and no receipt is ever counted twice or below zero;
5. with --receipt: your receipt's entries are in the log, with an inclusion proof the site serves;
6. with --saved-head: the head you saved earlier is signed, and the log today extends it (RFC 9162
   consistency proof): nothing counted then was rewritten since.

Only the standard library and `cryptography` (for Ed25519). No part of the site's code is needed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

PAGE = 1000
RECEIPT_PREFIX = "quitgpt-receipt-v1:"
LEAF_KEYS = {"commitment", "day", "delta", "kinds"}


# --- RFC 9162 section 2.1 ---------------------------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical_json(leaf: dict) -> bytes:
    return json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode("utf-8")


_KIND = re.compile(r"[a-z_]+\Z")


def canonical_leaf(leaf: dict) -> bytes:
    """canonical_json of a validated leaf, faster: its strings (hex, a date, lowercase kinds) need no
    escaping, so the bytes json.dumps would give can be written directly; anything else goes through it."""
    kinds = leaf["kinds"]
    if not all(_KIND.match(k) for k in kinds):
        return canonical_json(leaf)
    listed = ",".join(f'"{k}"' for k in kinds)
    return (
        f'{{"commitment":"{leaf["commitment"]}","day":"{leaf["day"]}","delta":{leaf["delta"]},"kinds":[{listed}]}}'
    ).encode()


class TreeBuilder:
    """MTH of a stream of leaf hashes in O(log n) memory (a stack of perfect subtrees)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, h: bytes) -> None:
        self.size += 1
        width = 1
        stack = self.stack
        while stack and stack[-1][0] == width:
            h = node_hash(stack.pop()[1], h)
            width *= 2
        stack.append((width, h))

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        r = self.stack[-1][1]
        for _width, h in reversed(self.stack[:-1]):
            r = node_hash(h, r)
        return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
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
    """RFC 9162 2.1.4.2 (and the trivial cases: equal sizes, or an empty first tree)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:
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


def head_message(head: dict) -> bytes:
    return (
        f"quitgpt-log-v1\n{head['tree_size']}\n{head['root_hash']}\n{head['counted']}\n{head['timestamp']}\n"
    ).encode()


def verify_head_signature(head: dict, keys: dict[str, bytes]) -> tuple[bool, str]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = keys.get(head.get("key_id", ""))
    if raw is None:
        return False, f"signed by key {head.get('key_id')!r}, which the site does not publish"
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            base64.b64decode(head["signature"]), head_message(head)
        )
    except (InvalidSignature, ValueError):
        return False, "the signature does not match"
    return True, f"signed by key {head['key_id']}"


# --- Talking to the site ----------------------------------------------------------------------------------
class Site:
    def __init__(self, base: str, timeout: float) -> None:
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise SystemExit(f"the site's address must start with http:// or https://, not {base!r}")
        self.base = base.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, **params: object) -> dict:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Accept": "application/json", "User-Agent": "verify_count"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310  # nosec B310 (http/https only)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read())

    def pages(self, size: int) -> Iterator[list[dict]]:
        """Every entry below `size`, a page at a time, fetched a few pages ahead."""
        starts = range(0, size, PAGE)
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [
                pool.submit(self.get, "/api/log/entries", start=s, end=min(s + PAGE, size))
                for s in starts[:8]
            ]
            for n, _start in enumerate(starts):
                page = futures[n].result()["entries"]
                if n + 8 < len(starts):
                    s = starts[n + 8]
                    futures.append(
                        pool.submit(self.get, "/api/log/entries", start=s, end=min(s + PAGE, size))
                    )
                futures[n] = None  # type: ignore[call-overload]
                yield page


class Report:
    def __init__(self) -> None:
        self.failed = 0

    def ok(self, text: str) -> None:
        print(f"  OK    {text}")

    def fail(self, text: str) -> None:
        self.failed += 1
        print(f"  FAIL  {text}")

    def check(self, holds: bool, good: str, bad: str) -> bool:
        (self.ok if holds else self.fail)(good if holds else bad)
        return holds


_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _valid_leaf(leaf: object) -> bool:
    """Exactly {"commitment", "day", "delta", "kinds"}, each of the specified form."""
    if type(leaf) is not dict or leaf.keys() != LEAF_KEYS:
        return False
    c, day, delta, kinds = leaf["commitment"], leaf["day"], leaf["delta"], leaf["kinds"]
    return bool(
        type(c) is str
        and _HEX64.match(c)
        and type(day) is str
        and _DAY.match(day)
        and type(delta) is int
        and (delta == 1 or delta == -1)
        and type(kinds) is list
        and kinds
        and all(type(k) is str for k in kinds)
        and kinds == sorted(kinds)
    )


def verify(args: argparse.Namespace) -> int:
    site = Site(args.url, args.timeout)
    report = Report()
    print(f"Checking the count at {site.base}")
    try:
        key_doc = site.get("/api/log/key")
        head = site.get("/api/log/head")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"  FAIL  could not read the log's key and head: {exc}")
        return 2
    keys = {key_doc["key_id"]: base64.b64decode(key_doc["public_key"])}
    for older in key_doc.get("keys", []):
        keys[older["key_id"]] = base64.b64decode(older["public_key"])
    size, counted = int(head["tree_size"]), int(head["counted"])
    print(f"Latest signed head: {size} entries, count {counted}, at {head['timestamp']}")
    good, why = verify_head_signature(head, keys)
    report.check(
        good, f"the head is signed by the site's published key ({why})", f"the head's signature: {why}"
    )

    commitment = None
    if args.receipt:
        commitment = hashlib.sha256((RECEIPT_PREFIX + args.receipt.strip()).encode()).hexdigest()
    saved = None
    if args.saved_head:
        with open(args.saved_head, encoding="utf-8") as f:
            saved = json.load(f)
    builder = TreeBuilder()
    old_root = None
    total = 0
    balance: dict[str, int] = {}
    bad_entries = 0
    twice = 0
    mine: list[dict] = []
    expected = 0
    try:
        for page in site.pages(size):
            for entry in page:
                leaf = entry.get("leaf")
                if entry.get("index") != expected or not _valid_leaf(leaf):
                    bad_entries += 1
                    if bad_entries <= 3:
                        print(
                            f"        entry {expected}: malformed or out of order: {json.dumps(entry)[:200]}"
                        )
                    expected += 1
                    continue
                h = leaf_hash(canonical_leaf(leaf))
                if h.hex() != entry.get("leaf_hash"):
                    bad_entries += 1
                    if bad_entries <= 3:
                        print(f"        entry {expected}: its leaf_hash is not the hash of its leaf")
                builder.add(h)
                delta, c = leaf["delta"], leaf["commitment"]
                total += delta
                now = balance.get(c, 0) + delta
                if now not in (0, 1):
                    twice += 1
                if now:
                    balance[c] = now
                else:
                    balance.pop(c, None)
                if c == commitment:
                    mine.append(entry)
                expected += 1
                if saved is not None and expected == int(saved["tree_size"]):
                    old_root = builder.root()
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        report.fail(f"could not download every entry: {exc}")
        return 1
    report.check(
        expected == size and builder.size + bad_entries == size,
        f"downloaded all {size} entries",
        f"the site served {expected} entries for a head of {size}",
    )
    report.check(
        bad_entries == 0,
        "every entry is well formed and its leaf hash is the hash of its leaf",
        f"{bad_entries} entries are malformed or carry a wrong leaf hash",
    )
    root = builder.root().hex()
    report.check(
        root == head["root_hash"] and bad_entries == 0,
        f"the Merkle tree hash of the entries is the signed root {root[:16]}…",
        f"the entries hash to {root}, not to the signed root {head['root_hash']}",
    )
    report.check(
        total == counted,
        f"the +1/-1 entries sum to {total}, the signed count",
        f"the entries sum to {total}, but the head says {counted}",
    )
    report.check(
        twice == 0,
        "no receipt counts twice or below zero",
        f"{twice} entries count a receipt twice or below zero",
    )
    try:
        tally = site.get("/api/tally")
        log = tally.get("log", {})
        if log.get("tree_size") == size:
            report.check(
                tally.get("people") == counted,
                f"the site's headline counts {tally.get('people')} people confirmed by email, as signed",
                f"the site's headline says {tally.get('people')} people, the signed log {counted}",
            )
        else:
            print(
                f"  note  the headline cites a log of {log.get('tree_size')} entries (it moved on meanwhile)"
            )
        if tally.get("reported"):
            print(f"  note  the headline also adds {tally['reported']} reported elsewhere: not in this log")
    except (urllib.error.URLError, OSError, ValueError):
        print("  note  could not read /api/tally to compare with the headline")

    if commitment is not None:
        _check_receipt(site, report, commitment, mine, size, bytes.fromhex(head["root_hash"]))
    if saved is not None:
        _check_saved(site, report, saved, keys, head, old_root)
    if args.save_head:
        with open(args.save_head, "w", encoding="utf-8") as f:
            json.dump(head, f, indent=2)
        print(f"Saved this head to {args.save_head}: next time, pass --saved-head {args.save_head}")
    if report.failed:
        print(f"RESULT: {report.failed} check(s) FAILED: do not trust this count.")
        return 1
    print("RESULT: every check holds.")
    return 0


def _check_receipt(
    site: Site, report: Report, commitment: str, mine: list[dict], size: int, root: bytes
) -> None:
    print(f"Your receipt's commitment: {commitment}")
    if not mine:
        report.fail("your receipt is not in the log (is the pledge confirmed, and has the count run since?)")
        return
    last = mine[-1]
    try:
        proof = site.get("/api/log/proof", index=last["index"], tree_size=size)
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        report.fail(f"could not fetch the inclusion proof of entry {last['index']}: {exc}")
        return
    report.check(
        verify_inclusion(last["index"], size, bytes.fromhex(last["leaf_hash"]), path, root),
        f"the site's inclusion proof places your entry {last['index']} under the signed root",
        f"the inclusion proof of entry {last['index']} does not lead to the signed root",
    )
    state = sum(e["leaf"]["delta"] for e in mine)
    kinds = ", ".join(last["leaf"]["kinds"])
    if state == 1:
        print(f"  OK    you are counted ({kinds}), since {last['leaf']['day']}")
    else:
        print(f"  note  you were counted, then not any more (entry {last['index']}, {last['leaf']['day']})")


def _check_saved(
    site: Site, report: Report, saved: dict, keys: dict[str, bytes], head: dict, old_root
) -> None:
    first, second = int(saved["tree_size"]), int(head["tree_size"])
    print(f"Your saved head: {first} entries, count {saved['counted']}, at {saved['timestamp']}")
    good, why = verify_head_signature(saved, keys)
    report.check(good, f"the saved head is signed ({why})", f"the saved head's signature: {why}")
    if first > second:
        report.fail("the saved head is larger than today's: the log shrank")
        return
    try:
        proof = site.get("/api/log/consistency", first=first, second=second)
        path = [bytes.fromhex(h) for h in proof["consistency"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        report.fail(f"could not fetch the consistency proof: {exc}")
        return
    report.check(
        verify_consistency(
            first, second, bytes.fromhex(saved["root_hash"]), bytes.fromhex(head["root_hash"]), path
        ),
        "today's log extends the saved one (RFC 9162 consistency proof): nothing was rewritten",
        "the consistency proof fails: the log was rewritten since the saved head",
    )
    if old_root is not None:
        report.check(
            old_root.hex() == saved["root_hash"],
            f"the first {first} entries downloaded today still hash to the saved root",
            f"the first {first} entries today hash to {old_root.hex()}, not to the saved root",
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify the QuitGPT count from its public, signed log.")
    parser.add_argument("url", help="the site's address, e.g. https://quitgpt.example")
    parser.add_argument("--receipt", help="your receipt secret (from the thank-you or manage page)")
    parser.add_argument(
        "--saved-head", help="a head saved earlier with --save-head, to check nothing was rewritten"
    )
    parser.add_argument("--save-head", help="save the latest head to this file")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    return verify(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
