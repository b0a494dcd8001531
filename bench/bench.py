"""The tally benchmark. See bench/README.md.

1. A fresh database (BENCH_DATABASE_URL), migrated; 10,000 demo pledges.
2. gunicorn (DJANGO_DEBUG=0, DJANGO_HTTPS=0, Redis cache) with the bench-only bare JSON view.
3. wrk against /bench/bare and /api/tally in alternating rounds: requests/s, latency, and the gunicorn
   workers' CPU time per request (read from /proc: robust to the other work on a shared machine).
4. 2,000,000 more demo pledges (timed), then the same wrk rounds.
5. The job: an incremental run after 1,000 new confirmations, and the full recount (bench/measure_job.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
PORT = int(os.environ.get("BENCH_PORT", "8103"))
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
LARGE = int(os.environ.get("BENCH_LARGE", "2000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
RESULTS = ROOT / "bench" / "results"


# Production requires a signing key for the count's log (one per run).
LOG_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_SIGNING_KEY": LOG_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BENCH_BARE_VIEW": "1",
    }


def manage(*args: str) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env(), capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def recreate_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True)


def seed(count: int) -> float:
    started = time.perf_counter()
    print(manage("seed_demo_pledges", "--count", str(count)).strip())
    return time.perf_counter() - started


def start_server() -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "quitgpt.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            WORKERS,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/tally", timeout=2).read()
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit("gunicorn did not start")
            time.sleep(0.3)


def _parse(out: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "avg_ms": ms("Latency"),
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time used so far by gunicorn's workers (user + system), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(server: subprocess.Popen, path: str) -> dict[str, float]:
    before = worker_cpu_seconds(server)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    used = worker_cpu_seconds(server) - before
    result = _parse(out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    # CPU per request: what the view costs the server, hardly moved by other work on the machine.
    result["cpu_us"] = used / max(requests, 1) * 1e6
    return result


def load_rounds(server: subprocess.Popen, label: str) -> dict[str, dict[str, float]]:
    """Alternate bare and api rounds (ABBA...), so that a trend in the machine's load hits both alike."""
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "api": []}
    for i in range(ROUNDS):
        order = [("bare", "/bench/bare"), ("api", "/api/tally")]
        for name, path in order if i % 2 == 0 else reversed(order):
            result = wrk(server, path)
            runs[name].append(result)
            print(f"  {label} {name}: {result}")
    summary = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in runs.items()
    }
    summary["ratio"] = {
        "rps": summary["api"]["rps"] / summary["bare"]["rps"],
        "cpu": summary["api"]["cpu_us"] / summary["bare"]["cpu_us"],
    }
    return summary


def measure_job() -> dict:
    out = subprocess.run(
        [PY, "bench/measure_job.py"], cwd=ROOT, env=env(), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_readme(results: dict) -> None:
    small, large = results["small"], results["large"]
    ratio = large["ratio"]["rps"]
    latency_change = large["api"]["avg_ms"] / small["api"]["avg_ms"] - 1
    p50_change = large["api"]["p50_ms"] / small["api"]["p50_ms"] - 1
    cpu_change = large["api"]["cpu_us"] / small["api"]["cpu_us"] - 1
    job = results["job"]
    lines = [
        f"Run {results['when']} on {results['machine']}; gunicorn {WORKERS} sync workers; "
        f"`wrk -t2 -c{CONNECTIONS} -d{DURATION}`; medians of {ROUNDS} rounds per view, bare and api "
        "alternating.",
        "",
        "| | 10K pledges | 2M pledges |",
        "|---|---|---|",
        f"| bare Django JSON view, req/s | {small['bare']['rps']:.0f} | {large['bare']['rps']:.0f} |",
        f"| `/api/tally`, req/s | {small['api']['rps']:.0f} | {large['api']['rps']:.0f} |",
        f"| `/api/tally` / bare, req/s | {small['ratio']['rps']:.0%} | {ratio:.0%} |",
        f"| `/api/tally` latency avg / p50 / p99, ms | {small['api']['avg_ms']:.2f} / "
        f"{small['api']['p50_ms']:.2f} / {small['api']['p99_ms']:.2f} | {large['api']['avg_ms']:.2f} / "
        f"{large['api']['p50_ms']:.2f} / {large['api']['p99_ms']:.2f} |",
        f"| worker CPU per request, bare / `/api/tally`, µs | {small['bare']['cpu_us']:.0f} / "
        f"{small['api']['cpu_us']:.0f} | {large['bare']['cpu_us']:.0f} / {large['api']['cpu_us']:.0f} |",
        "",
        f"- `/api/tally` at 2M serves **{ratio:.0%}** of the bare view's requests per second "
        f"(target >= 85%); it costs the server {large['ratio']['cpu']:.0%} of the bare view's CPU "
        "per request.",
        f"- Its latency at 2M against 10K: average **{latency_change:+.1%}**, p50 {p50_change:+.1%} "
        f"(target within 10%); its CPU per request {cpu_change:+.1%}.",
        f"- Seeding {LARGE:,} demo pledges: **{results['seed_large_s']:.0f} s** (target < 180 s).",
        f"- Incremental recompute after 1,000 new confirmations: **{job['incremental_ms_median']:.0f} ms** "
        f"median (runs: {', '.join(f'{v:.0f}' for v in job['incremental_ms'])} ms; target < 200 ms).",
        f"- Full recount at {LARGE + SMALL:,} pledges: **{job['recount_ms_median'] / 1000:.1f} s** median "
        f"(runs: {', '.join(f'{v / 1000:.1f}' for v in job['recount_ms'])} s; target < 5 s).",
    ]
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text()
    start, end = "<!-- RESULTS -->", "<!-- /RESULTS -->"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    readme.write_text(before + start + "\n" + "\n".join(lines) + "\n" + end + after)
    print("\n".join(lines))


def main() -> None:
    # Stopped with SIGTERM (or run in the background, where SIGINT is ignored): still stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    RESULTS.mkdir(exist_ok=True)
    results: dict = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f} at start",
    }
    print(f"== fresh database {DATABASE_URL}")
    recreate_database()
    manage("migrate", "--noinput")
    results["seed_small_s"] = seed(SMALL)
    server = start_server()
    try:
        print(f"== {SMALL:,} pledges")
        results["small"] = load_rounds(server, "10K")
        print(f"== seeding {LARGE:,} more")
        results["seed_large_s"] = seed(LARGE)
        manage("recompute_tally")
        print(f"== {SMALL + LARGE:,} pledges")
        results["large"] = load_rounds(server, "2M")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    print("== the job")
    results["job"] = measure_job()
    print(results["job"])
    (RESULTS / f"bench-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    write_readme(results)


if __name__ == "__main__":
    main()
