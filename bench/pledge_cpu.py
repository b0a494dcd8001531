"""Where a pledge POST's time goes, in one process (`make bench-pledge-cpu`). See bench/README.md.

Migrates a fresh database (BENCH_DATABASE_URL, dropped first), then sends BENCH_POSTS pledge POSTs with
new addresses, as a browser on the same origin sends them, straight to `quitgpt.wsgi.application` (no
HTTP server, no load generator: nothing else competes for the CPU), in rounds alternating:
- the signing statement prepared once per connection (DATABASE_PREPARE_THRESHOLD, as served);
- not prepared (psycopg's `prepare_threshold` set to None on the same connection).
For each it prints the web process's CPU per POST, the CPU of its PostgreSQL backend per POST (read from
/proc, so run it on the database's machine) and the wall time, medians of the rounds, and the median of
each round's ratio. Nothing is written to bench/README.md: these are the figures behind the notes there.

Knobs: BENCH_POSTS (200 per round), BENCH_ROUNDS (7), BENCH_DATABASE_URL
(postgres://postgres@127.0.0.1:5432/qg_bench_cpu), BENCH_REDIS_URL (redis://127.0.0.1:6379/3).
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_bench_cpu")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
POSTS = int(os.environ.get("BENCH_POSTS", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
PORT = 8000


def main() -> None:
    env = stack.project_env(database_url=DATABASE_URL, redis_url=REDIS_URL, port=PORT, TRUSTED_PROXIES="1")
    stack.recreate_database(DATABASE_URL)
    stack.manage(env, "migrate", "--noinput")
    stack.manage(env, "load_demo_data")
    os.environ.update(env)
    sys.path.insert(0, str(stack.ROOT))

    from django.db import connection

    from quitgpt.wsgi import application

    run = secrets.token_hex(3)
    sent = [0]

    def environ() -> dict:
        sent[0] += 1
        i = sent[0]
        return stack.signing_environ(f"c{run}-{i}@bench{i % 37}.example.com", i, PORT)

    statuses: set[str] = set()

    def post(handler) -> None:
        result = handler(environ(), lambda status, headers, exc_info=None: statuses.add(status))
        b"".join(result)
        result.close()

    def prepared(on: bool) -> None:
        connection.ensure_connection()
        threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")
        connection.connection.prepare_threshold = threshold if on else None

    sides = {"prepared": True, "not prepared": False}
    for on in sides.values():  # warm: imports, URL resolver, the prepared statement
        prepared(on)
        for _ in range(30):
            post(application)
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, on in sides.items():
            prepared(on)
            pg0, cpu0, wall0 = stack.backend_cpu_seconds(connection), time.process_time(), time.perf_counter()
            for _ in range(POSTS):
                post(application)
            wall1, cpu1, pg1 = time.perf_counter(), time.process_time(), stack.backend_cpu_seconds(connection)
            figures[name].append(((cpu1 - cpu0) / POSTS, (pg1 - pg0) / POSTS, (wall1 - wall0) / POSTS))
    assert statuses == {"303 See Other"}, statuses
    print(f"{ROUNDS} rounds of {POSTS} new signatures each, alternating; medians per POST:")
    for name, rows in figures.items():
        cpu, pg, wall = (statistics.median(row[k] for row in rows) * 1000 for k in range(3))
        print(f"  {name:28s} web CPU {cpu:.2f} ms, PostgreSQL CPU {pg:.2f} ms, wall {wall:.2f} ms")
    on, off = figures.values()
    for k, what in ((0, "web CPU"), (1, "PostgreSQL CPU"), (2, "wall")):
        ratio = statistics.median(a[k] / b[k] for a, b in zip(on, off, strict=True) if b[k])
        print(f"  {what}, prepared / not prepared: {ratio:.2f}x (median of the rounds' ratios)")


if __name__ == "__main__":
    main()
