"""scripts/verify_count.py, run as a visitor would: a separate process against a live server."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from pledges.models import Supporter
from tally.log_models import LogEntry, SignedTreeHead
from tally.services import tally_recompute
from tests.conftest import ROOT
from tests.tally.conftest import change_pledge, confirm, make_pledge

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = ROOT / "scripts" / "verify_count.py"


def run(*args: str) -> subprocess.CompletedProcess:
    # -I: isolated from the project's path; only the standard library and installed packages.
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_the_verifier_needs_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(SCRIPT.read_text())
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


def test_it_checks_a_live_log_a_receipt_and_the_consistency_of_a_saved_head(
    live_server, client, tmp_path
) -> None:
    pledges = [confirm(make_pledge(f"p{i}@example.org")) for i in range(9)]
    tally_recompute()
    assert client.get("/api/log/verify_count.py").getvalue() == SCRIPT.read_bytes()
    secret = Supporter.objects.get(email_normalised="p3@example.org").receipt_secret
    saved = tmp_path / "head.json"
    first = run(live_server.url, "--receipt", secret, "--save-head", str(saved))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "RESULT: every check holds." in first.stdout
    assert "the entries hash" not in first.stdout and "you are counted" in first.stdout
    # The log grows (and someone withdraws): the saved head must still be a prefix of it.
    change_pledge(pledges[0], status="withdrawn")
    for i in range(9, 20):
        confirm(make_pledge(f"p{i}@example.org"), at=datetime(2026, 5, 1, tzinfo=UTC))
    tally_recompute()
    later = run(live_server.url, "--saved-head", str(saved), "--receipt", secret)
    assert later.returncode == 0, later.stdout + later.stderr
    assert "nothing was rewritten" in later.stdout
    assert "sum to 19, the signed count" in later.stdout


def test_it_fails_loudly_on_a_tampered_log(live_server, tmp_path) -> None:
    for i in range(6):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    saved = tmp_path / "head.json"
    assert run(live_server.url, "--save-head", str(saved)).returncode == 0
    # A -1 turned into... nothing: an entry's delta rewritten without its hash.
    LogEntry.objects.filter(index=2).update(delta=-1)
    tampered = run(live_server.url)
    assert tampered.returncode == 1
    assert "FAIL" in tampered.stdout and "do not trust this count" in tampered.stdout
    LogEntry.objects.filter(index=2).update(delta=1)
    # A head whose count was inflated after signing.
    SignedTreeHead.objects.update(counted=1000)
    inflated = run(live_server.url)
    assert inflated.returncode == 1 and "signature does not match" in inflated.stdout


def test_it_notices_a_history_rewritten_behind_a_saved_head(live_server, tmp_path) -> None:
    for i in range(5):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    saved = tmp_path / "head.json"
    assert run(live_server.url, "--save-head", str(saved)).returncode == 0
    # The operator rebuilds the log from scratch with different history, and re-signs.
    from tally import log
    from tally.log_models import LogNode

    LogNode.objects.all().delete()
    LogEntry.objects.all().delete()
    SignedTreeHead.objects.all().delete()
    log._append_leaves([("a" * 64, datetime(2026, 1, 1).date(), 1, "cancelled")] * 1)
    log._append_leaves([("b" * 64, datetime(2026, 1, 1).date(), 1, "cancelled") for _ in range(1)])
    for i in range(5):
        log._append_leaves([(f"{i:x}" * 64, datetime(2026, 1, 2).date(), 1, "shared")])
    log.log_sign_head()
    rewritten = run(live_server.url, "--saved-head", str(saved))
    assert rewritten.returncode == 1
    assert "rewritten" in rewritten.stdout


def _script_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("verify_count", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=False)
def test_the_verifiers_fast_leaf_encoding_is_exactly_canonical_json() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    script = _script_module()

    @given(
        st.text("0123456789abcdef", min_size=64, max_size=64),
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from([1, -1]),
        st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3).map(sorted),
    )
    def check(commitment, day, delta, kinds):
        leaf = {"commitment": commitment, "day": day, "delta": delta, "kinds": kinds}
        assert script.canonical_leaf(leaf) == script.canonical_json(leaf)

    check()
