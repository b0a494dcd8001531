"""The fault scenarios (`make faults`): each starts the real stack with PRIVATE processes it can stop
(its own redis-server, Celery worker, gunicorn, SMTP sink, and a TCP proxy in front of PostgreSQL that it
can cut), causes one failure, and checks what DESIGN.md's "Failure modes" promise. Each prints PASS or
FAIL with the reasons; the exit status is 1 if any failed. The shared PostgreSQL and Redis are never
stopped: the scenarios use their own database (FAULTS_DATABASE_URL, dropped and recreated).

    make faults                       # every scenario
    bash bench/run.sh faults redis   # one or more of: redis worker postgres

Knobs: FAULTS_DATABASE_URL (postgres://postgres@127.0.0.1:5432/qg_faults), FAULTS_EMAIL_WAIT (seconds to
wait for owed emails once a part is back; 240: the sweep's one-minute grace plus its one-minute cadence).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import select
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

DATABASE_URL = os.environ.get("FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_faults")
EMAIL_WAIT = float(os.environ.get("FAULTS_EMAIL_WAIT", "240"))
PAGES = ["/", "/fr/", "/pledge/", "/alternatives/", "/events/", "/how-we-count/", "/supporters/"]
APIS = ["/api/tally", "/badge.svg", "/embed/counter/"]


# --- HTTP -----------------------------------------------------------------------------------------------
class Http:
    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    def request(
        self, method: str, path: str, *, body: str | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            conn.close()

    def get(self, path: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, headers={"Cookie": cookie} if cookie else {})

    def post_form(self, path: str, data: dict, *, ip: str = "", cookie: str = "") -> tuple[int, dict, str]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.base,
            "Sec-Fetch-Site": "same-origin",
        }
        if ip:
            headers["X-Forwarded-For"] = ip
        if cookie:
            headers["Cookie"] = cookie
        return self.request("POST", path, body=urlencode(data, doseq=True), headers=headers)

    def sign(self, email: str, ip: str) -> int:
        status, _h, _b = self.post_form(
            "/pledge/", {"email": email, "kinds": "cancelled", "country": "FR", "first_name": "Ana"}, ip=ip
        )
        return status


def fresh_ip() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


# --- Mail -----------------------------------------------------------------------------------------------
def mails(path: Path) -> list[tuple[str, str, str]]:
    return [tuple(line.split("\t")) for line in path.read_text().splitlines() if line.count("\t") == 2]


def wait_for_mail(path: Path, addresses: list[str], timeout: float) -> Counter:
    deadline = time.monotonic() + timeout
    while True:
        counts = Counter(rcpt for rcpt, _s, _l in mails(path) if rcpt in addresses)
        if all(counts[a] >= 1 for a in addresses) or time.monotonic() > deadline:
            return counts
        time.sleep(1)


# --- A TCP proxy we can cut ----------------------------------------------------------------------------
class CuttableProxy:
    """127.0.0.1:port -> target. cut() drops every connection and refuses new ones (as when the database
    host is unreachable); restore() listens again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = stack.free_port()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _w, _x = select.select([a, b], [], [], 1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass

    def cut(self) -> None:
        if self.listener is not None:
            # shutdown() first: close() alone leaves a thread blocked in accept() accepting one more.
            try:
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self.sockets.clear()


# --- The stack for one scenario ------------------------------------------------------------------------
def signed_in_cookie(env: dict) -> str:
    """A supporter's session, created the way Django's login stores one (the session engine's own store)."""
    code = (
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.cached_db import SessionStore\n"
        "from allauth.account.models import EmailAddress\n"
        "U = get_user_model()\n"
        "u, _ = U.objects.get_or_create(username='faults', defaults={'email': 'faults@example.com'})\n"
        "EmailAddress.objects.get_or_create(user=u, email='faults@example.com',"
        " defaults={'verified': True, 'primary': True})\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash()\n"
        "s.create()\n"
        "print(s.session_key)\n"
    )
    key = stack.manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()[-1]
    return f"sessionid={key}"


def db(env: dict, code: str) -> str:
    return stack.manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def stored(env: dict, addresses: list[str]) -> int:
    return int(
        db(
            env,
            "from pledges.models import Pledge as P;"
            f"print(P.objects.filter(supporter__email_normalised__in={addresses!r}).count())",
        )
    )


class Verdict:
    def __init__(self, name: str) -> None:
        self.name = name
        self.failures: list[str] = []
        self.notes: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        print(f"    [{'ok' if ok else 'FAIL'}] {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok

    def note(self, what: str) -> None:
        print(f"    note: {what}", flush=True)
        self.notes.append(what)

    @property
    def passed(self) -> bool:
        return not self.failures


def start_project(
    services: stack.Stack, *, database_url: str, redis_port: int, smtp_port: int
) -> tuple[dict, Http, object]:
    port = stack.free_port()
    env = stack.project_env(
        database_url=database_url,
        redis_url=f"redis://127.0.0.1:{redis_port}/0",
        port=port,
        smtp_port=smtp_port,
        TRUSTED_PROXIES="1",
        TALLY_RECOMPUTE_SECONDS="5",
    )
    web = services.gunicorn("web", env, port, workers=2)
    stack.wait_http(f"http://127.0.0.1:{port}/healthz", process=web)
    worker = services.celery("worker", env)
    return env, Http(port), worker


def prepare() -> None:
    env = stack.project_env(database_url=DATABASE_URL, redis_url="", port=8000)
    env.pop("REDIS_URL")
    stack.recreate_database(DATABASE_URL)
    stack.prepare_project(env)


# --- Scenario 1: Redis stopped while people sign --------------------------------------------------------
def scenario_redis() -> Verdict:
    v = Verdict("Redis stopped while people sign")
    with stack.Stack() as services:
        redis_port, redis = services.redis()
        smtp_port, mail_file = services.smtp_sink()
        env, site, worker = start_project(
            services, database_url=DATABASE_URL, redis_port=redis_port, smtp_port=smtp_port
        )
        cookie = signed_in_cookie(env)
        run = secrets.token_hex(3)
        before = [f"r{run}-before-{i}@example.com" for i in range(2)]
        for address in before:
            v.check(site.sign(address, fresh_ip()) == 303, f"sign {address} with Redis up: 303")
        wait_for_mail(mail_file, before, 60)
        stack.manage(env, "recompute_tally")
        snapshot_total = int(
            db(
                env,
                "from tally.models import TallySnapshot as T; print(T.objects.order_by('-id').first().total)",
            )
        )

        services.stop_one(redis)
        print("    Redis stopped", flush=True)
        during = [f"r{run}-during-{i}@example.com" for i in range(5)]
        statuses = [site.sign(address, fresh_ip()) for address in during]
        v.check(statuses == [303] * len(during), f"5 signatures while Redis is down answered 303: {statuses}")
        v.check(stored(env, during) == len(during), "all 5 are stored in the database")
        for path in PAGES + APIS:
            status, _h, body = site.get(path)
            v.check(status == 200, f"GET {path} with Redis down: {status}")
        status, _h, body = site.get("/api/tally")
        if status == 200:
            v.check(
                json.loads(body)["total"] == snapshot_total,
                f"/api/tally serves the last snapshot ({snapshot_total})",
            )
        status, _h, body = site.get("/healthz")
        state = json.loads(body).get("status") if body.startswith("{") else body[:80]
        v.check(
            status == 200 and state == "degraded",
            f"/healthz answers 200 'degraded' (CONTRACT.md): {status} {state!r}",
        )
        for path in ["/accounts/", "/accounts/pledges/"]:
            status, _h, _b = site.get(path, cookie=cookie)
            v.check(status == 200, f"signed-in GET {path} with Redis down: {status}")
        status, _h, _b = site.get("/accounts/login/")
        v.check(status < 500, f"GET /accounts/login/ with Redis down: {status}")

        services.redis("redis-again", port=redis_port)
        time.sleep(3)
        if not v.check(worker.poll() is None, "the Celery worker survived the outage"):
            v.note(
                f"the worker exited ({worker.returncode}; see worker.log in {services.log_dir}); "
                "restarted as docker-compose's `restart: unless-stopped` would"
            )
            services.celery("worker-restarted", env)
        print(f"    Redis back; waiting up to {EMAIL_WAIT:.0f} s for the owed emails", flush=True)
        counts = wait_for_mail(mail_file, during, EMAIL_WAIT)
        v.check(
            all(counts[a] == 1 for a in during),
            f"every owed email sent once Redis is back, once each: {dict(counts)}",
        )
        all_counts = Counter(rcpt for rcpt, _s, _l in mails(mail_file))
        v.check(all(all_counts[a] == 1 for a in before), "the emails sent before were not sent again")
    return v


# --- Scenario 2: the worker SIGKILLed in the middle of sending -----------------------------------------
STALL = 8.0


def stalls(mail_file: Path) -> list[tuple[str, str]]:
    path = Path(f"{mail_file}.stalls")
    return [tuple(line.split("\t")) for line in path.read_text().splitlines()] if path.exists() else []


def pledge_state(env: dict, address: str) -> str:
    """`email_owed emails_sent claimed?` of the address's pledge, e.g. "'' 1 False" once settled."""
    return db(
        env,
        "from pledges.models import Pledge as P;"
        f"p = P.objects.get(supporter__email_normalised='{address}');"
        "print(repr(p.email_owed), p.emails_sent, p.email_claimed_at is not None)",
    )


def kill_mid_send(
    v: Verdict, services: stack.Stack, env: dict, site: Http, mail_file: Path, worker, *, point: str
) -> object:
    """Sign, SIGKILL the worker while the sink stalls at `point`, start a new worker, and check that
    the request got exactly one email, the row settled, and the first email's link confirms. Returns
    the new worker."""
    prefix = {"after the dot": "stall-dot", "before 354": "stall-data"}[point]
    address = f"{prefix}-w{secrets.token_hex(3)}@example.com"
    v.check(site.sign(address, fresh_ip()) == 303, f"sign {address}: 303")
    deadline = time.monotonic() + 60
    while (point, address) not in stalls(mail_file) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not v.check((point, address) in stalls(mail_file), f"the worker reached the sink's stall {point!r}"):
        return worker
    services.kill(worker)
    killed_at = time.monotonic()
    state = at_kill = pledge_state(env, address)
    print(f"    worker SIGKILLed {point}: owed, sent, claimed = {state}; starting a new one", flush=True)
    worker = services.celery(f"worker-after-{prefix}", env)
    print(f"    waiting up to {EMAIL_WAIT:.0f} s for the row to settle", flush=True)
    deadline = time.monotonic() + EMAIL_WAIT
    while time.monotonic() < deadline:
        state = pledge_state(env, address)
        if state.startswith("''") and "False" in state:
            break
        time.sleep(1)
    settled_after = time.monotonic() - killed_at
    # Long enough for several runs of the batch sender (every 2 s) after the row settled, and for the
    # stalled session to end.
    time.sleep(max(15.0, STALL))
    state = pledge_state(env, address)
    counts = Counter(rcpt for rcpt, _s, _l in mails(mail_file))
    v.check(counts[address] == 1, f"exactly one email for the request: {counts[address]}")
    when = "already at the kill" if at_kill == state else f"{settled_after:.0f} s after the kill"
    v.check(
        state.startswith("''") and state.endswith("False"),
        f"the row settled (nothing owed, no claim left) {when}: owed, sent, claimed = {state}",
    )
    first_link = next((link for rcpt, _s, link in mails(mail_file) if rcpt == address and link), "")
    if v.check(bool(first_link), "the first email carries a confirmation link"):
        path = urlsplit(first_link).path
        status, _h, _b = site.get(path)
        v.check(status == 200, f"its link opens the confirmation page: {status}")
        status, headers, _b = site.post_form(path, {"action": "confirm"})
        confirmed = status in {302, 303} and "/thanks/" in headers.get("location", "")
        v.check(confirmed, f"and confirms: {status} -> {headers.get('location', '')}")
    return worker


def scenario_worker() -> Verdict:
    v = Verdict("Celery worker SIGKILLed in the middle of sending")
    with stack.Stack() as services:
        redis_port, _redis = services.redis()
        # The sink stalls STALL seconds at the point an address asks for (bench/smtp_sink.py), and the
        # worker is killed there.
        smtp_port, mail_file = services.smtp_sink(delay=STALL)
        env, site, worker = start_project(
            services, database_url=DATABASE_URL, redis_port=redis_port, smtp_port=smtp_port
        )
        # 1. After the sink read the whole message (the final dot) and before its "250": the relay owns
        #    the email, the double of RFC 1047 is born here unless the row was stamped before the dot.
        print("    kill 1: after the final dot, before the relay's 250", flush=True)
        worker = kill_mid_send(v, services, env, site, mail_file, worker, point="after the dot")
        # 2. Inside DATA, before the dot: the relay discards the message, so it must be sent again, once,
        #    by the new worker taking over the dead one's claim.
        print("    kill 2: inside DATA, before the final dot", flush=True)
        kill_mid_send(v, services, env, site, mail_file, worker, point="before 354")
    return v


# --- Scenario 3: PostgreSQL unreachable ----------------------------------------------------------------
def scenario_postgres() -> Verdict:
    v = Verdict("PostgreSQL unreachable")
    parts = urlsplit(DATABASE_URL)
    with stack.Stack() as services:
        proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        proxied = DATABASE_URL.replace(f"{parts.hostname}:{parts.port or 5432}", f"127.0.0.1:{proxy.port}")
        redis_port, _redis = services.redis()
        smtp_port, mail_file = services.smtp_sink()
        env, site, _worker = start_project(
            services, database_url=proxied, redis_port=redis_port, smtp_port=smtp_port
        )
        run = secrets.token_hex(3)
        before = [f"p{run}-before-{i}@example.com" for i in range(2)]
        for address in before:
            v.check(site.sign(address, fresh_ip()) == 303, f"sign {address}: 303")

        proxy.cut()
        print("    PostgreSQL cut off", flush=True)
        time.sleep(1)
        for method, path in [
            ("POST", "/pledge/"),
            ("GET", "/supporters/?page=1"),
            ("GET", "/events/?past=1"),
            ("GET", "/accounts/login/"),
            ("GET", "/alternatives/?q=mail"),
        ]:
            if method == "POST":
                status, headers, body = site.post_form(
                    path,
                    {"email": f"p{run}-down@example.com", "kinds": "cancelled", "country": "FR"},
                    ip=fresh_ip(),
                )
            else:
                status, headers, body = site.get(path)
            clean = "Traceback" not in body and "psycopg" not in body and "OperationalError" not in body
            v.check(
                status == 503 and headers.get("retry-after", "").isdigit() and clean,
                f"{method} {path}: {status}, Retry-After {headers.get('retry-after')!r}, no trace: {clean}",
            )
        for path in PAGES:
            status, _h, _b = site.get(path)
            v.check(
                status in {200, 503}, f"GET {path}: {status} (a stored page or the 503 page, never a 500)"
            )
        status, _h, body = site.get("/healthz")
        why = json.loads(body)["checks"]["database"] if body.startswith("{") else body[:80]
        v.check(status == 503 and why.get("status") == "down", f"/healthz 503 and says why: {why}")

        proxy.restore()
        print("    PostgreSQL reachable again", flush=True)
        time.sleep(2)
        after = [f"p{run}-after-{i}@example.com" for i in range(2)]
        for address in after:
            v.check(site.sign(address, fresh_ip()) == 303, f"sign {address} after recovery: 303")
        status, _h, body = site.get("/healthz")
        v.check(status == 200, f"/healthz after recovery: {status} {body[:120]}")
        for path in ["/supporters/?page=1", "/events/?past=1", "/accounts/login/"]:
            status, _h, _b = site.get(path)
            v.check(status == 200, f"GET {path} after recovery: {status}")
        v.check(stored(env, before + after) == 4, "the pledges from before and after are all stored")
        counts = wait_for_mail(mail_file, before + after, 90)
        v.check(all(counts[a] == 1 for a in before + after), f"each got one email: {dict(counts)}")
        proxy.cut()
    return v


SCENARIOS = {"redis": scenario_redis, "worker": scenario_worker, "postgres": scenario_postgres}


def main() -> None:
    chosen = [name for name in sys.argv[1:] if name in SCENARIOS] or list(SCENARIOS)
    print(f"fault scenarios: {', '.join(chosen)}; database {DATABASE_URL}")
    prepare()
    verdicts = []
    for name in chosen:
        print(f"\n== {name}: {SCENARIOS[name].__doc__ or ''}", flush=True)
        verdict = SCENARIOS[name]()
        verdicts.append(verdict)
        print(f"  {'PASS' if verdict.passed else 'FAIL'}: {verdict.name}", flush=True)
    print("\nSummary:")
    for verdict in verdicts:
        reasons = "" if verdict.passed else " -- " + "; ".join(verdict.failures)
        print(f"  {'PASS' if verdict.passed else 'FAIL'}  {verdict.name}{reasons}")
    sys.exit(0 if all(v.passed for v in verdicts) else 1)


if __name__ == "__main__":
    main()
