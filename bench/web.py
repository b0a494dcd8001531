"""The viral-day web benchmark (`make bench`). See bench/README.md.

Starts the production stack on a fresh bench database (gunicorn with BENCH_WORKERS sync workers,
PostgreSQL, Redis, a Celery worker with beat, a local SMTP sink) and the bare comparison app
(bench/bare/bare_app.py) under the same gunicorn settings; then, for each endpoint, runs wrk against the
project and against the bare app in alternating order each round, so that the machine's drift hits both
alike, and reports req/s, p50, p99, errors and the ratio. Then checks what the issue asks besides speed:
the counter on every page follows a new snapshot within the API's own cache age, every accepted pledge is
stored and got exactly one email (counted on the sink) once the worker drained, and the web workers'
memory stayed flat over the pledge run.

Knobs (environment): BENCH_DURATION (10s, per read run), BENCH_ROUNDS (3), BENCH_PLEDGE_DURATION (60s),
BENCH_PLEDGE_ROUNDS (1), BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_WORKERS (4), BENCH_SEED
(10000 demo pledges), BENCH_ONLY (comma-separated endpoint names, e.g. "api,home_en,pledge_post"),
BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/qg_bench_web, dropped and recreated),
BENCH_REDIS_URL (REDIS_URL), BENCH_DRAIN_TIMEOUT (900 s), BENCH_WRITE_README (1).
A short run: BENCH_DURATION=5s BENCH_ROUNDS=1 BENCH_PLEDGE_DURATION=10s make bench
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

ROOT = stack.ROOT
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_bench_web")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PLEDGE_DURATION = os.environ.get("BENCH_PLEDGE_DURATION", "60s")
PLEDGE_ROUNDS = int(os.environ.get("BENCH_PLEDGE_ROUNDS", "1"))
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
THREADS = os.environ.get("BENCH_THREADS", "2")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SEED = int(os.environ.get("BENCH_SEED", "10000"))
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
DRAIN_TIMEOUT = float(os.environ.get("BENCH_DRAIN_TIMEOUT", "900"))
WRITE_README = os.environ.get("BENCH_WRITE_README", "1") == "1"
LUA = ROOT / "bench" / "lua"
RESULTS = ROOT / "bench" / "results"
API_MAX_AGE = 15  # tally.views.API_CACHE

PAGES = ["/", "/pledge/", "/alternatives/", "/events/", "/how-we-count/", "/supporters/"]
READS_FOR_MIX = ["/", "/api/tally", "/pledge/", "/badge.svg", "/fr/", "/supporters/", "/events/"]


def endpoints() -> list[dict]:
    """name, label, the project's wrk arguments, the bare app's wrk arguments, kind."""
    items = [
        {"name": "api", "label": "`GET /api/tally`", "path": "/api/tally", "bare": "/json"},
        {"name": "badge", "label": "`GET /badge.svg`", "path": "/badge.svg", "bare": "/json"},
    ]
    for lang, prefix in (("en", ""), ("fr", "/fr")):
        for page in PAGES:
            slug = page.strip("/").replace("-", "_") or "home"
            items.append(
                {
                    "name": f"{slug}_{lang}",
                    "label": f"`GET {prefix}{page}`",
                    "path": prefix + page,
                    "bare": "/json",
                }
            )
    items.append({"name": "pledge_post", "label": "`POST /pledge/` (unique addresses)", "kind": "pledge"})
    items.append({"name": "mixed", "label": "mixed: 95% reads, 5% pledges", "kind": "mixed"})
    return [item for item in items if not ONLY or item["name"] in ONLY]


def parse_wrk(out: str) -> dict:
    def ms(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    accepted = re.search(r"ACCEPTED (\d+) OTHER (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    result = {"rps": rps, "requests": requests, "p50_ms": ms("50%"), "p99_ms": ms("99%"), "errors": errors}
    if accepted:
        result["accepted"] = int(accepted.group(1))
        result["errors"] = max(result["errors"], int(accepted.group(2)))
    return result


def wrk(
    base: str, path: str = "/", *, duration: str = DURATION, script: str | None = None, args: list[str] = ()
) -> dict:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(LUA / script)]
    cmd.append(base + path)
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # nosec B310 - loopback
        return response.status, response.read().decode()


def page_total(base: str, path: str) -> int | None:
    _status, body = fetch(base + path)
    match = re.search(r'data-tally-total="(\d+)"', body)
    return int(match.group(1)) if match else None


def api_total(base: str) -> int:
    return json.loads(fetch(base + "/api/tally")[1])["total"]


def freshness(env: dict, base: str) -> dict:
    """Publish a new snapshot and time how long each page takes to show the API's new figure."""
    paths = [prefix + page for prefix in ("", "/fr") for page in PAGES]
    for path in paths:  # make sure each page is stored with the old figure first
        page_total(base, path)
    before = api_total(base)
    stack.manage(env, "seed_demo_pledges", "--count", "3", "--force")
    stack.manage(env, "recompute_tally")
    published = time.monotonic()
    lags: dict[str, float | None] = {}
    pending = set(paths)
    while pending and time.monotonic() - published < API_MAX_AGE * 2:
        now_total = api_total(base)
        for path in sorted(pending):
            if now_total != before and page_total(base, path) == now_total:
                lags[path] = time.monotonic() - published
                pending.discard(path)
        time.sleep(0.25)
    for path in pending:
        lags[path] = None
    worst = max((lag for lag in lags.values() if lag is not None), default=None)
    ok = not pending and worst is not None and worst <= API_MAX_AGE
    return {"before": before, "after": api_total(base), "lags": lags, "worst_s": worst, "ok": ok}


def db_query(env: dict, code: str) -> str:
    return stack.manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def pledge_check(env: dict, run: str, mail_file: Path, accepted: int) -> dict:
    """Every accepted submission stored; once drained, exactly one email each."""
    prefix = f"b{run}-"
    count_code = (
        "from pledges.models import Pledge as P;"
        f"q=P.objects.filter(supporter__email_normalised__startswith='{prefix}');"
        "print(q.count(), q.exclude(email_owed='').count())"
    )
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        stored, owed = map(int, db_query(env, count_code).split())
        if owed == 0 or time.monotonic() > deadline:
            break
        time.sleep(3)
    time.sleep(2)
    mails = Counter(
        line.split("\t", 1)[0] for line in mail_file.read_text().splitlines() if line.startswith(prefix)
    )
    distribution = Counter(mails.values())
    return {
        "accepted": accepted,
        "stored": stored,
        "owed_after_drain": owed,
        "emailed_addresses": len(mails),
        "emails_per_address": dict(distribution),
        "ok": stored >= accepted and owed == 0 and len(mails) == stored and set(distribution) == {1},
    }


def summarise(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")} | {
        "errors": sum(r["errors"] for r in runs),
        "accepted": sum(r.get("accepted", 0) for r in runs),
    }


def main() -> None:
    run = secrets.token_hex(3)
    started_at = datetime.now(UTC)
    load_at_start = os.getloadavg()[0]
    with stack.Stack() as services:
        port, bare_port = stack.free_port(), stack.free_port()
        smtp_port, mail_file = services.smtp_sink()
        env = stack.project_env(
            database_url=DATABASE_URL,
            redis_url=REDIS_URL,
            port=port,
            smtp_port=smtp_port,
            TRUSTED_PROXIES="1",
        )
        print(f"bench database {DATABASE_URL}, Redis {REDIS_URL}, logs in {services.log_dir}")
        stack.recreate_database(DATABASE_URL)
        stack.prepare_project(env, seed=SEED)
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)
        bare_env = {**os.environ, "BARE_DATABASE_URL": DATABASE_URL}
        subprocess.run(
            [stack.PY, "-c", "import bare_app; bare_app.create_table()"],
            cwd=ROOT / "bench" / "bare",
            env=bare_env,
            check=True,
        )
        web = services.gunicorn("web", env, port, workers=WORKERS)
        services.gunicorn(
            "bare",
            bare_env,
            bare_port,
            workers=WORKERS,
            app="bare_app:application",
            cwd=ROOT / "bench" / "bare",
        )
        services.celery("worker", env)
        base, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
        stack.wait_http(base + "/api/tally", process=web)
        stack.wait_http(bare + "/json")
        for path in ["/api/tally", "/badge.svg", *PAGES, *("/fr" + p for p in PAGES)]:
            status, _ = fetch(base + path)
            assert status == 200, (path, status)
        wrk(base, "/", duration="2s")  # warm every worker
        wrk(bare, "/json", duration="2s")

        results: dict[str, dict] = {}
        checks: dict[str, dict] = {}
        for item in endpoints():
            project_runs, bare_runs = [], []
            kind = item.get("kind", "get")
            rounds = PLEDGE_ROUNDS if kind == "pledge" else ROUNDS
            for i in range(rounds):
                if kind == "pledge":
                    rss_before = stack.rss_kb(stack.worker_pids(web))
                    sides = [
                        (
                            "project",
                            lambda i=i: wrk(
                                base,
                                "/pledge/",
                                duration=PLEDGE_DURATION,
                                script="pledge.lua",
                                # A round's own addresses (b<run>-<round>-...): a second round signs
                                # new people, not the first round's again.
                                args=["/pledge/", base, f"{run}-{i}"],
                            ),
                        ),
                        (
                            "bare",
                            lambda i=i: wrk(
                                bare,
                                "/insert",
                                duration=PLEDGE_DURATION,
                                script="pledge.lua",
                                args=["/insert", bare, f"{run}x{i}"],
                            ),
                        ),
                    ]
                elif kind == "mixed":
                    sides = [
                        (
                            "project",
                            lambda: wrk(
                                base, "/", script="mixed.lua", args=["/pledge/", base, run, *READS_FOR_MIX]
                            ),
                        ),
                        (
                            "bare",
                            lambda: wrk(
                                bare, "/json", script="mixed.lua", args=["/insert", bare, run + "x", "/json"]
                            ),
                        ),
                    ]
                else:
                    sides = [
                        ("project", lambda item=item: wrk(base, item["path"])),
                        ("bare", lambda item=item: wrk(bare, item["bare"])),
                    ]
                for side, measure in sides if i % 2 == 0 else reversed(sides):
                    result = measure()
                    (project_runs if side == "project" else bare_runs).append(result)
                    print(f"  {item['name']} {side}: {result}", flush=True)
                if kind == "pledge":
                    rss_after = stack.rss_kb(stack.worker_pids(web))
                    common = set(rss_before) & set(rss_after)
                    change = max(
                        (abs(rss_after[p] / rss_before[p] - 1) for p in common), default=float("nan")
                    )
                    checks.setdefault("rss", {"runs": []})["runs"].append(
                        {"before_kb": rss_before, "after_kb": rss_after, "max_change": change}
                    )
            project, bare_summary = summarise(project_runs), summarise(bare_runs)
            results[item["name"]] = {
                "label": item["label"],
                "project": project,
                "bare": bare_summary,
                # Each round's two runs are back to back: the median of the rounds' own ratios cancels
                # the machine's drift better than a ratio of medians taken across rounds.
                "ratio": statistics.median(
                    p["rps"] / b["rps"] if b["rps"] else 0.0
                    for p, b in zip(project_runs, bare_runs, strict=True)
                ),
            }
        if "pledge_post" in results:
            checks["pledges"] = pledge_check(
                env, run, mail_file, results["pledge_post"]["project"]["accepted"]
            )
            rss = checks["rss"]
            rss["ok"] = all(r["max_change"] <= 0.10 and len(r["before_kb"]) == WORKERS for r in rss["runs"])
        checks["freshness"] = freshness(env, base)
    report = {
        "when": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU(s), load {load_at_start:.1f} at start",
        "settings": {
            "workers": WORKERS,
            "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{DURATION}",
            "rounds": ROUNDS,
            "pledge_duration": PLEDGE_DURATION,
            "pledge_rounds": PLEDGE_ROUNDS,
            "seed": SEED,
        },
        "results": results,
        "checks": checks,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"web-{started_at:%Y%m%d-%H%M%S}.json").write_text(json.dumps(report, indent=2, default=str))
    table = render(report)
    print(table)
    if WRITE_README:
        readme = ROOT / "bench" / "README.md"
        text = readme.read_text()
        start, end = "<!-- WEB-RESULTS -->", "<!-- /WEB-RESULTS -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        readme.write_text(f"{head}{start}\n{table}\n{end}{tail}")


TARGETS = {"api": 0.85, "badge": 0.85, "pledge_post": 0.25}


def target_for(name: str) -> float | None:
    if name in TARGETS:
        return TARGETS[name]
    if name == "mixed":
        return None
    return 0.5


def render(report: dict) -> str:
    s = report["settings"]
    lines = [
        f"Run {report['when']} on {report['machine']}; gunicorn {s['workers']} sync workers "
        "(project and bare); "
        f"`wrk {s['wrk']}` x {s['rounds']} rounds per read endpoint, pledge POST {s['pledge_duration']} x "
        f"{s['pledge_rounds']}; medians; project and bare alternating, the ratio the median of each "
        f"round's own ratio; {s['seed']} demo pledges.",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | errors | bare req/s | bare p50 / p99 ms | ratio | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["results"].items():
        p, b = r["project"], r["bare"]
        target = target_for(name)
        verdict = (
            "" if target is None else (f">= {target}x " + ("ok" if r["ratio"] >= target else "**missed**"))
        )
        bare_label = "INSERT" if name == "pledge_post" else "mixed" if name == "mixed" else "JSON"
        lines.append(
            f"| {r['label']} | {p['rps']:.0f} | {p['p50_ms']:.1f} | {p['p99_ms']:.1f} | {p['errors']} | "
            f"{b['rps']:.0f} ({bare_label}) | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | "
            f"{r['ratio']:.2f}x | {verdict} |"
        )
    checks = report["checks"]
    lines.append("")
    if "pledge_post" in report["results"]:
        p = report["results"]["pledge_post"]["project"]
        ok = p["rps"] >= 300 and p["p99_ms"] < 500 and p["errors"] == 0
        lines.append(
            f"- Pledge POST: {p['rps']:.0f}/s over {s['pledge_duration']}, p99 {p['p99_ms']:.0f} ms, "
            f"{p['errors']} errors (target >= 300/s, p99 < 500 ms, no error): {'ok' if ok else '**missed**'}."
        )
        c = checks["pledges"]
        lines.append(
            f"- After it: {c['accepted']} accepted, {c['stored']} stored, "
            f"{c['owed_after_drain']} emails still owed "
            f"after the drain, {c['emailed_addresses']} addresses emailed, "
            f"emails per address {c['emails_per_address']}: "
            f"{'ok' if c['ok'] else '**failed**'}."
        )
        worst = max(r["max_change"] for r in checks["rss"]["runs"])
        lines.append(
            f"- Web workers' RSS, start vs end of the pledge run: largest change {worst:+.1%} "
            f"(target within 10%): {'ok' if checks['rss']['ok'] else '**missed**'}."
        )
    f = checks["freshness"]
    worst = "never" if f["worst_s"] is None else f"{f['worst_s']:.1f} s"
    lines.append(
        f"- Counter freshness: after a new snapshot ({f['before']} -> {f['after']}), "
        "every page in English and "
        f"French showed the API's figure within {worst} (target <= {API_MAX_AGE} s, the API's max-age): "
        f"{'ok' if f['ok'] else '**failed**'}."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
