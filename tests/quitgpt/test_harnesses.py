"""The on-demand harnesses (make bench / bench-tally / bench-sender / faults / scale) stay out of the
suite; this only checks that they still parse and import, and that their pure helpers read wrk's output
right."""

from __future__ import annotations

import importlib
import py_compile
import subprocess
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))


@pytest.mark.parametrize("name", ["stack", "web", "faults", "scale", "pledge_cpu", "sender"])
def test_each_harness_imports(bench_on_path, name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__


@pytest.mark.parametrize(
    "path",
    [
        "bare/bare_app.py",
        "smtp_sink.py",
        "bench.py",
        "measure_job.py",
        "updates_bench.py",
        "updates_smtp_sink.py",
    ],
)
def test_the_scripts_compile(path: str) -> None:
    py_compile.compile(str(BENCH / path), doraise=True)


def test_the_shell_entry_point_parses() -> None:
    assert subprocess.run(["bash", "-n", str(BENCH / "run.sh")], check=False).returncode == 0


def test_it_reads_wrk_output_with_a_lua_summary(bench_on_path) -> None:
    web = importlib.import_module("web")
    out = """Running 5s test @ http://127.0.0.1:1/pledge/
  Latency Distribution
     50%   12.50ms
     75%   20.00ms
     90%   30.00ms
     99%    1.20s
  1500 requests in 5.00s, 300.00KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    300.00
Transfer/sec:     60.00KB
ACCEPTED 1493 OTHER 7
"""
    result = web.parse_wrk(out)
    assert result["rps"] == 300.0 and result["requests"] == 1500
    assert result["p50_ms"] == 12.5 and result["p99_ms"] == 1200.0
    assert result["errors"] == 7 and result["accepted"] == 1493


def test_the_verdict_counts_failures(bench_on_path) -> None:
    faults = importlib.import_module("faults")
    verdict = faults.Verdict("x")
    verdict.check(True, "fine")
    assert verdict.passed
    verdict.check(False, "broken")
    assert not verdict.passed and verdict.failures == ["broken"]
