"""The count's public log: entries follow the count in the same transaction, heads are signed, proofs
are RFC 9162's, and the public endpoints answer bad parameters with a clear 400."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pledges.models import PledgeStatus, Supporter
from pledges.privacy import supporter_erase
from pledges.receipts import receipt_commitment
from tally import log, merkle
from tally.log_models import LogEntry, LogNode, LogSigningKey, SignedTreeHead
from tally.selectors import tally_current
from tally.services import tally_recompute, tally_recount
from tests.tally.conftest import change_pledge, confirm, make_pledge, true_people

pytestmark = pytest.mark.django_db


def leaves() -> list[dict]:
    return [e["leaf"] for e in log.log_entries(start=0, end=10**9)]


def commitment_of(email: str) -> str:
    return Supporter.objects.get(email_normalised=email).receipt_commitment


def test_it_appends_plus_one_when_a_person_starts_to_count_and_minus_one_when_they_stop() -> None:
    pledge = make_pledge("ada@example.org", country="FR")
    tally_recompute()
    assert LogEntry.objects.count() == 0
    confirm(pledge, at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC))
    tally_recompute()
    c = commitment_of("ada@example.org")
    assert leaves() == [{"commitment": c, "day": "2026-03-04", "delta": 1, "kinds": ["cancelled"]}]
    change_pledge(pledge, status=PledgeStatus.WITHDRAWN)
    tally_recompute()
    assert [leaf["delta"] for leaf in leaves()] == [1, -1]
    assert log.log_latest_head().counted == 0 == tally_current()["people"]


def test_a_change_of_what_they_pledged_is_minus_one_then_plus_one() -> None:
    confirm(make_pledge("ada@example.org", "cancelled"))
    tally_recompute()
    confirm(make_pledge("ada@example.org", "shared"))
    tally_recompute()
    got = [(leaf["delta"], leaf["kinds"]) for leaf in leaves()]
    assert got == [(1, ["cancelled"]), (-1, ["cancelled"]), (1, ["cancelled", "shared"])]
    assert log.log_latest_head().counted == 1


def test_a_leaf_holds_nothing_personal_and_hashes_as_the_issue_specifies() -> None:
    confirm(make_pledge("Ada.Lovelace@example.org", country="FR", first_name="Ada"))
    tally_recompute()
    entry = log.log_entries(start=0, end=1)[0]
    assert set(entry["leaf"]) == {"commitment", "day", "delta", "kinds"}
    # The two hashes are hex, where "ada" may well occur by chance: they are checked below
    # to be exactly the specified digests, and everything else must hold no personal datum.
    rest = {k: v for k, v in entry.items() if k != "leaf_hash"}
    rest["leaf"] = {k: v for k, v in entry["leaf"].items() if k != "commitment"}
    text = json.dumps(rest).lower()
    assert "ada" not in text and "lovelace" not in text and "fr" not in text.replace("leaf", "")
    canonical = json.dumps(entry["leaf"], sort_keys=True, separators=(",", ":")).encode()
    assert entry["leaf_hash"] == hashlib.sha256(b"\x00" + canonical).hexdigest()
    supporter = Supporter.objects.get()
    assert entry["leaf"]["commitment"] == receipt_commitment(supporter.receipt_secret)
    assert (
        entry["leaf"]["commitment"]
        == hashlib.sha256(("quitgpt-receipt-v1:" + supporter.receipt_secret).encode()).hexdigest()
    )


def test_a_head_is_signed_over_the_specified_message_with_the_published_key(client) -> None:
    for i in range(5):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    head = client.get("/api/log/head").json()
    key = client.get("/api/log/key").json()
    assert key["algorithm"] == "ed25519" and key["key_id"] == head["key_id"]
    message = (
        f"quitgpt-log-v1\n{head['tree_size']}\n{head['root_hash']}\n{head['counted']}\n{head['timestamp']}\n"
    )
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(base64.b64decode(head["signature"]), message.encode())  # raises if forged
    entries = client.get("/api/log/entries", {"start": 0, "end": 5}).json()["entries"]
    assert head["tree_size"] == 5 and head["counted"] == 5
    assert head["root_hash"] == merkle.mth([bytes.fromhex(e["leaf_hash"]) for e in entries]).hex()
    assert client.get("/api/tally").json()["log"] == {"tree_size": 5, "root_hash": head["root_hash"]}


def test_a_run_that_appends_nothing_signs_no_new_head() -> None:
    confirm(make_pledge("a@example.org"))
    tally_recompute()
    tally_recompute()
    make_pledge("b@example.org")  # pending: no entry
    tally_recompute()
    assert SignedTreeHead.objects.count() == 1


def test_the_embedded_default_key_is_generated_once_and_kept(settings) -> None:
    settings.LOG_SIGNING_KEY = b""
    first = log.log_keys()
    second = log.log_keys()
    assert first["key_id"] == second["key_id"]
    assert LogSigningKey.objects.exclude(seed="").count() == 1


def test_rotating_the_key_keeps_old_heads_verifiable(client, settings) -> None:
    settings.LOG_SIGNING_KEY = b"\x01" * 32
    confirm(make_pledge("a@example.org"))
    tally_recompute()
    old_head = client.get("/api/log/head").json()
    settings.LOG_SIGNING_KEY = b"\x02" * 32
    confirm(make_pledge("b@example.org"))
    tally_recompute()
    key = client.get("/api/log/key").json()
    new_head = client.get("/api/log/head").json()
    assert new_head["key_id"] == key["key_id"] != old_head["key_id"]
    older = {k["key_id"]: k["public_key"] for k in key["keys"]}
    assert old_head["key_id"] in older
    expected = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32).public_key().public_bytes_raw()
    assert base64.b64decode(older[old_head["key_id"]]) == expected
    heads = client.get("/api/log/heads").json()["heads"]
    assert [h["tree_size"] for h in heads] == [2, 1]


def test_proofs_from_the_endpoints_verify_against_signed_heads(client) -> None:
    for i in range(13):
        confirm(make_pledge(f"p{i}@example.org"))
        if i in (2, 6):
            tally_recompute()
    tally_recompute()
    heads = {h["tree_size"]: h for h in client.get("/api/log/heads").json()["heads"]}
    assert sorted(heads) == [3, 7, 13]
    entries = client.get("/api/log/entries", {"start": 0, "end": 13}).json()["entries"]
    for tree_size in heads:
        root = bytes.fromhex(heads[tree_size]["root_hash"])
        for entry in entries[:tree_size]:
            proof = client.get("/api/log/proof", {"index": entry["index"], "tree_size": tree_size}).json()
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            leaf = bytes.fromhex(entry["leaf_hash"])
            assert merkle.verify_inclusion(entry["index"], tree_size, leaf, path, root)
    for first, second in ((3, 7), (3, 13), (7, 13)):
        body = client.get("/api/log/consistency", {"first": first, "second": second}).json()
        assert body["first"] == first and body["second"] == second
        path = [bytes.fromhex(h) for h in body["consistency"]]
        old, new = bytes.fromhex(heads[first]["root_hash"]), bytes.fromhex(heads[second]["root_hash"])
        assert merkle.verify_consistency(first, second, old, new, path)


def test_a_proof_reads_a_few_rows_not_the_tree(client, django_assert_max_num_queries) -> None:
    for i in range(40):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    with django_assert_max_num_queries(4):
        assert client.get("/api/log/proof", {"index": 17, "tree_size": 40}).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/api/log/consistency", {"first": 11, "second": 40}).status_code == 200
    # Perfect subtrees only, each stored once: fewer inner nodes than leaves.
    assert LogNode.objects.count() < LogEntry.objects.count()


def test_entries_come_at_most_a_thousand_a_page_and_can_be_found_by_commitment(client) -> None:
    confirm(make_pledge("a@example.org"))
    confirm(make_pledge("b@example.org"))
    tally_recompute()
    body = client.get("/api/log/entries", {"start": 0, "end": 5000}).json()
    assert [e["index"] for e in body["entries"]] == [0, 1]
    c = commitment_of("b@example.org")
    found = client.get("/api/log/entries", {"commitment": c}).json()["entries"]
    assert [e["leaf"]["commitment"] for e in found] == [c]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/log/entries", {"start": "x"}),
        ("/api/log/entries", {"start": "-1"}),
        ("/api/log/entries", {"start": "5", "end": "2"}),
        ("/api/log/entries", {"commitment": "XYZ"}),
        # An empty number is not "left out" (schemathesis found `?end=&commitment=...` answered 200).
        ("/api/log/entries", {"end": "", "commitment": "b" * 64}),
        ("/api/log/entries", {"start": ""}),
        ("/api/log/proof", {"index": "", "tree_size": "2"}),
        ("/api/log/proof", {"index": "9", "tree_size": "2"}),
        ("/api/log/proof", {"index": "0", "tree_size": "99"}),
        ("/api/log/proof", {"index": "1e3"}),
        ("/api/log/proof", {"tree_size": "2"}),
        ("/api/log/consistency", {"first": "2", "second": "1"}),
        ("/api/log/consistency", {"first": "0", "second": "2"}),
        ("/api/log/consistency", {"first": "1", "second": "50"}),
        ("/api/log/consistency", {"first": "٣", "second": "2"}),
        ("/api/log/heads", {"page": "0"}),
        ("/api/log/heads", {"page": "99999999999999999999999"}),
    ],
)
def test_bad_parameters_answer_400_with_a_clear_error(client, path, params) -> None:
    confirm(make_pledge("a@example.org"))
    confirm(make_pledge("b@example.org"))
    tally_recompute()
    before = LogEntry.objects.count()
    response = client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]
    assert LogEntry.objects.count() == before


def test_the_endpoints_are_open_cacheable_and_set_no_cookie(client) -> None:
    confirm(make_pledge("a@example.org"))
    tally_recompute()
    for path in (
        "/api/log/head",
        "/api/log/heads",
        "/api/log/key",
        "/api/log/entries?start=0&end=1",
        "/api/log/proof?index=0&tree_size=1",
        "/api/log/consistency?first=1&second=1",
        "/api/log/verify_count.py",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
        assert not response.cookies, path


def test_the_head_before_anything_counts_is_a_clear_404(client) -> None:
    response = client.get("/api/log/head")
    assert response.status_code == 404 and "no signed head" in response.json()["error"]
    assert client.get("/api/tally").json()["log"] == {
        "tree_size": 0,
        "root_hash": hashlib.sha256(b"").hexdigest(),
    }


def test_erasing_a_supporter_deletes_the_secret_and_takes_them_out_of_the_log() -> None:
    confirm(make_pledge("ada@example.org"))
    tally_recompute()
    supporter = Supporter.objects.get()
    commitment = supporter.receipt_commitment
    supporter_erase(supporter=supporter)
    tally_recompute()
    supporter.refresh_from_db()
    assert supporter.receipt_secret == "" and supporter.receipt_commitment == commitment
    assert [(leaf["commitment"], leaf["delta"]) for leaf in leaves()] == [(commitment, 1), (commitment, -1)]


def test_the_recount_finds_drift_in_the_log_and_corrects_it_in_the_open() -> None:
    for i in range(3):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    # Someone slips a +1 into the log behind the job's back.
    log._append_leaves([("f" * 64, datetime(2026, 1, 1).date(), 1, "cancelled")])
    assert log.log_sum() == 4
    recount = tally_recount()
    assert not recount.matched and recount.repaired
    assert recount.details["counters"]["log:sum"] == 1
    assert log.log_sum() == 3 == true_people()
    assert LogEntry.objects.count() == 5  # appended, never rewritten
    assert tally_recount().matched


def test_the_demo_seed_logs_every_person_it_counts() -> None:
    from tally.services import demo_pledges_seed

    result = demo_pledges_seed(count=30)
    assert log.log_sum() == result.total == tally_current()["people"] == 30
    assert log.log_latest_head().tree_size == 30
    if connection.vendor == "postgresql":
        assert not Supporter.objects.filter(receipt_commitment="").exists()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["cancelled", "shared"]),
            st.sampled_from([*PledgeStatus.values, "run"]),
            st.booleans(),
            st.integers(1, 5),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_any_history_of_pledges_yields_a_log_whose_deltas_sum_to_the_count(steps) -> None:
    from tally.models import SupporterTally, TallyBucket, TallyCounter, TallySnapshot

    for model in (
        LogNode,
        LogEntry,
        SignedTreeHead,
        TallySnapshot,
        TallyBucket,
        TallyCounter,
        SupporterTally,
    ):
        model.objects.all().delete()
    from pledges.models import Pledge

    Pledge.objects.all().delete()
    Supporter.objects.all().delete()
    pledges = {}
    for person, kind, status, suspicious, day in steps:
        if status == "run":
            tally_recompute(batch_size=2)
            continue
        key = (person, kind)
        when = datetime(2026, 2, day, tzinfo=UTC)
        if key not in pledges:
            pledges[key] = make_pledge(f"h{person}@example.org", kind)
        pledges[key] = change_pledge(pledges[key], status=status, suspicious=suspicious, confirmed_at=when)
    tally_recompute()
    assert log.log_sum() == tally_current()["people"] == true_people()
    head = log.log_latest_head()
    assert head is None or (head.counted == true_people() and head.tree_size == LogEntry.objects.count())
    sums: dict[str, int] = {}
    for leaf in leaves():
        sums[leaf["commitment"]] = sums.get(leaf["commitment"], 0) + leaf["delta"]
        assert sums[leaf["commitment"]] in (0, 1)


def test_how_we_count_explains_the_log_links_the_verifier_and_shows_the_latest_head(client) -> None:
    confirm(make_pledge("a@example.org"))
    tally_recompute()
    head = log.log_latest_head()
    for path, title in (
        ("/how-we-count/", "A count anyone can check"),
        ("/fr/how-we-count/", "Un décompte que chacun peut vérifier"),
    ):
        html = client.get(path).content.decode()
        assert title in html
        assert head.root_hash in html and head.signature in html and head.key_id in html
        assert "/api/log/verify_count.py" in html and "/verify/" in html
