"""The campaign-update benchmark (make bench-updates): one update to N recipients, sent by a real Celery
worker (solo pool) through a local SMTP sink (bench/updates_smtp_sink.py), on PostgreSQL and a Redis of
its own.

For each size: a fresh database, N demo supporters who consented to updates, `create_update`, then
`send_update ID --yes`; we time from the first delivery to the update being sent, sample the worker's
resident memory, and read its peak (VmHWM). Memory should stay flat as N grows: recipients are read by
keyset pagination, UPDATES_BATCH_SIZE at a time.

    .venv/bin/python bench/updates_bench.py --sizes 10000 100000 [--write-readme]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv/bin/python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PAGE_TIMING = """
import time
from updates.models import Update
from updates.selectors import audience_ids_after
from pledges.models import Supporter
u = Update.objects.get(pk={pk})
top = Supporter.objects.order_by("-pk").values_list("pk", flat=True).first()
for after in (0, top // 2, top - {batch} - 1):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        audience_ids_after(u, after=after, limit={batch})
        times.append(time.perf_counter() - t0)
    print("PAGE", after, round(min(times) * 1000, 1))
"""


def run_size(size: int, base_url: str, redis_url: str, batch: int, max_seconds: float | None = None) -> dict:
    db_name = "quitgpt_bench_updates"
    maintenance = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    url = base_url.rsplit("/", 1)[0] + f"/{db_name}"
    sink_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
        "DJANGO_DEBUG": "1",
        "UPDATES_RATE_PER_SECOND": "0",
        "UPDATES_BATCH_SIZE": str(batch),
        "UPDATES_REQUIRE_APPROVAL": "0",
        "UPDATES_PER_WEEK": "50",
        "TALLY_INPROCESS_SCHEDULER": "0",
    }
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    t0 = time.perf_counter()
    subprocess.run(
        [*manage, "seed_demo_pledges", "--count", str(size), "--force"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE pledges_supporter SET updates_consent = true")
        conn.execute("ANALYZE")  # as autovacuum would after such a change: the planner's statistics
    seed_s = time.perf_counter() - t0
    body = Path(tempfile.mkstemp(suffix=".md")[1])
    body.write_text(
        "The boycott grows. **Thank you.** [Read more](https://quitgpt.example/news)\n", encoding="utf-8"
    )
    out = subprocess.run(
        [*manage, "create_update", "--subject-en", "Bench", "--body-en", str(body)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    update_id = int(out.strip().splitlines()[-1])
    # One keyset page of recipients at the start, the middle and the end of the audience: its cost must not
    # grow with the position (an OFFSET would).
    pages = subprocess.run(
        [*manage, "shell", "-c", PAGE_TIMING.format(pk=update_id, batch=batch)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    page_ms = {int(p[1]): float(p[2]) for p in (line.split() for line in pages) if p and p[0] == "PAGE"}
    sink = subprocess.Popen(
        [PY, str(ROOT / "bench/updates_smtp_sink.py"), str(sink_port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout.readline().strip() == "ready"
    log = open(tempfile.mkstemp(suffix=".log")[1], "wb")  # noqa: SIM115 - the worker's log, kept for the report
    worker = subprocess.Popen(
        [
            PY,
            "-m",
            "celery",
            "-A",
            "quitgpt",
            "worker",
            "--pool=solo",
            "-Q",
            "email",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    time.sleep(4)
    idle_rss = rss_kb(worker.pid, "VmRSS")
    cpu_before = cpu_seconds(worker.pid)
    subprocess.run(
        [*manage, "send_update", str(update_id), "--yes"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    started = None
    samples = []
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            status = conn.execute("SELECT status FROM updates_update WHERE id = %s", [update_id]).fetchone()[
                0
            ]
            sent = conn.execute(
                "SELECT count(*) FROM updates_delivery WHERE update_id = %s AND state = 'sent'", [update_id]
            ).fetchone()[0]
            if started is None and sent:
                started = time.perf_counter()
            samples.append(rss_kb(worker.pid, "VmRSS"))
            if status == "sent":
                break
            if max_seconds and started and time.perf_counter() - started > max_seconds:
                conn.execute("UPDATE updates_update SET status = 'paused' WHERE id = %s", [update_id])
                time.sleep(5)  # the worker notices within 50 messages, stamps and stops
                break
            if worker.poll() is not None:
                raise SystemExit("the worker died: see " + log.name)
            time.sleep(1)
        elapsed = time.perf_counter() - (started or time.perf_counter())
        states = dict(
            conn.execute(
                "SELECT state, count(*) FROM updates_delivery WHERE update_id = %s GROUP BY state",
                [update_id],
            ).fetchall()
        )
    peak = rss_kb(worker.pid, "VmHWM")
    cpu = cpu_seconds(worker.pid) - cpu_before
    worker.terminate()
    worker.wait(30)
    sink.terminate()
    received = int(sink.communicate(timeout=30)[0].strip() or 0)
    return {
        "size": size,
        "stopped_after_s": max_seconds if max_seconds and states_sent_lt(states, size) else None,
        "keyset_page_ms_by_cursor": page_ms,
        "seed_s": round(seed_s, 1),
        "send_s": round(elapsed, 1),
        "msgs_per_s": round(states.get("sent", 0) / elapsed, 1) if elapsed else 0,
        "sent": states.get("sent", 0),
        "received_by_sink": received,
        "other_states": {k: v for k, v in states.items() if k != "sent"},
        # Load-independent: the worker's own CPU per message (the machine is shared).
        "worker_cpu_ms_per_msg": round(cpu * 1000 / max(states.get("sent", 0), 1), 2),
        "worker_idle_rss_mb": round(idle_rss / 1024, 1),
        "worker_peak_rss_mb": round(peak / 1024, 1),
        "worker_rss_mb_last_sample": round(samples[-1] / 1024, 1) if samples else 0,
    }


def states_sent_lt(states: dict, size: int) -> bool:
    return states.get("sent", 0) < size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=None, help="pause the update after this long")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quitgpt")
    )
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed")
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        for size in args.sizes:
            result = run_size(
                size, args.database_url, f"redis://127.0.0.1:{redis_port}/0", args.batch, args.max_seconds
            )
            print(result, flush=True)
    finally:
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    sys.exit(main())
