"""What one owed confirmation email costs the batch sender, in one process (`make bench-sender`).

Migrates a fresh database (BENCH_DATABASE_URL, dropped first) and starts the local SMTP sink
(bench/smtp_sink.py, standing for the relay). Then, in BENCH_ROUNDS rounds: BENCH_EMAILS new
signatures (POSTed straight to `quitgpt.wsgi.application`, as in bench/pledge_cpu.py, each from its own
client address, so that the per-client bound holds none back), then `pledges_send_owed_batch`, the
production sender, over one SMTP connection to the sink. For each round it measures the sender's CPU per
email, the CPU of its PostgreSQL backend per email (read from /proc, so run it on the database's
machine) and the wall time per email; it prints the medians, the SQL statements per email (counted in a
last, untimed round), and checks on the sink that each address had exactly one email. Nothing is
written to bench/README.md: run it on two checkouts in turn to compare a change (bench/README.md,
"The sender").

Knobs: BENCH_EMAILS (300 per round), BENCH_ROUNDS (5), BENCH_DATABASE_URL
(postgres://postgres@127.0.0.1:5432/qg_bench_sender), BENCH_REDIS_URL (redis://127.0.0.1:6379/3).
"""

from __future__ import annotations

import collections
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_bench_sender")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
EMAILS = int(os.environ.get("BENCH_EMAILS", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PORT = 8000


def main() -> None:
    with stack.Stack() as services:
        smtp_port, mail_file = services.smtp_sink()
        env = stack.project_env(
            database_url=DATABASE_URL,
            redis_url=REDIS_URL,
            port=PORT,
            smtp_port=smtp_port,
            TRUSTED_PROXIES="1",
        )
        stack.recreate_database(DATABASE_URL)
        stack.manage(env, "migrate", "--noinput")
        os.environ.update(env)
        sys.path.insert(0, str(stack.ROOT))
        measure(mail_file)


def measure(mail_file: Path) -> None:
    from quitgpt.wsgi import application  # first: it sets Django up

    from django.db import connection  # isort: skip
    from django.test.utils import CaptureQueriesContext  # isort: skip

    from pledges.signing import pledges_send_owed_batch  # isort: skip

    run = secrets.token_hex(3)
    signed = [0]
    statuses: set[str] = set()

    def sign(count: int) -> None:
        for _ in range(count):
            signed[0] += 1
            i = signed[0]
            environ = stack.signing_environ(f"s{run}-{i}@bench{i % 37}.example.com", i, PORT)
            result = application(environ, lambda status, headers, exc_info=None: statuses.add(status))
            b"".join(result)
            result.close()

    sign(30)  # warm: imports, templates, the SMTP connection's first use
    pledges_send_owed_batch(limit=EMAILS * 10)
    figures: list[tuple[float, float, float]] = []
    for _ in range(ROUNDS):
        sign(EMAILS)
        pg0, cpu0, wall0 = stack.backend_cpu_seconds(connection), time.process_time(), time.perf_counter()
        sent = pledges_send_owed_batch(limit=EMAILS * 10)
        wall1, cpu1, pg1 = time.perf_counter(), time.process_time(), stack.backend_cpu_seconds(connection)
        assert sent == EMAILS, (sent, EMAILS)
        figures.append(((cpu1 - cpu0) / sent, (pg1 - pg0) / sent, (wall1 - wall0) / sent))
    sign(50)
    with CaptureQueriesContext(connection) as queries:
        sent = pledges_send_owed_batch(limit=500)
    assert statuses == {"303 See Other"}, statuses
    time.sleep(1)  # the sink appends its last lines
    per_address = collections.Counter(line.split("\t", 1)[0] for line in mail_file.read_text().splitlines())
    spread = collections.Counter(per_address.values())
    cpu, pg, wall = (statistics.median(row[k] for row in figures) * 1000 for k in range(3))
    print(f"{ROUNDS} rounds of {EMAILS} owed confirmation emails, one batch each; medians per email:")
    print(f"  sender CPU {cpu:.2f} ms, its PostgreSQL backend's CPU {pg:.2f} ms, wall {wall:.2f} ms")
    print(f"  SQL statements per email: {len(queries.captured_queries) / sent:.1f} (a batch of {sent})")
    print(f"  {len(per_address)} addresses emailed of {signed[0]} signed; emails per address {dict(spread)}")
    if len(per_address) != signed[0] or set(spread) != {1}:
        sys.exit("not every signature had exactly one email")


if __name__ == "__main__":
    main()
