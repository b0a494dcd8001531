"""Two web nodes behind a real load balancer (`make scale`): HAProxy from Debian in front of two gunicorn
nodes on two loopback ports, sharing PostgreSQL and Redis (and one Celery worker, one SMTP sink).

It shows, through the balancer, with a header pinning each request to a node (X-Node: a|b; the answer
says which node served it in X-Served-By):
1. sign on node A, open the emailed link and confirm on node B;
2. an organiser's password sign-in on A, the TOTP step on B, the admin on A (sessions and MFA shared);
3. rate limits counted across nodes: the per-IP pledge limit, and allauth's failed-login limit;
4. the tally agrees on both nodes (same ETag, same figure on the pages);
5. throughput: one node alone against the pair behind HAProxy, same wrk settings.
Then writes the figures to SCALING.md (between the SCALE-RESULTS markers) and bench/results/.

Knobs: SCALE_DATABASE_URL (postgres://postgres@127.0.0.1:5432/qg_scale, recreated), SCALE_REDIS_URL
(REDIS_URL, flushed), SCALE_WORKERS (2 per node), SCALE_DURATION (10s), SCALE_CONNECTIONS (16),
SCALE_WRITE (1: update SCALING.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack
from faults import Verdict, fresh_ip, mails, wait_for_mail
from web import parse_wrk

ROOT = stack.ROOT
DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_scale")
REDIS_URL = os.environ.get("SCALE_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
WORKERS = int(os.environ.get("SCALE_WORKERS", "2"))
DURATION = os.environ.get("SCALE_DURATION", "10s")
CONNECTIONS = os.environ.get("SCALE_CONNECTIONS", "16")
WRITE = os.environ.get("SCALE_WRITE", "1") == "1"
PASSWORD = "correct horse battery staple for scale"  # nosec B105 - a throwaway bench account

HAPROXY_CFG = """
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend site
    bind 127.0.0.1:{lb}
    # The load generator plays the visitors and sets their addresses; a real edge would overwrite it.
    option forwardfor if-none
    acl to_a req.hdr(X-Node) -m str a
    acl to_b req.hdr(X-Node) -m str b
    use_backend only_a if to_a
    use_backend only_b if to_b
    default_backend both
backend both
    balance roundrobin
    http-response set-header X-Served-By %s
    server a 127.0.0.1:{a} check
    server b 127.0.0.1:{b} check
backend only_a
    http-response set-header X-Served-By %s
    server a 127.0.0.1:{a}
backend only_b
    http-response set-header X-Served-By %s
    server b 127.0.0.1:{b}
"""


class Browser:
    """One visitor's cookies, through the balancer, each request pinned to a node."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, node: str, method: str, path: str, data: dict | None = None, ip: str = "") -> tuple:
        headers = {"X-Node": node}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                    "Sec-Fetch-Site": "same-origin",
                }
            )
        if ip:
            headers["X-Forwarded-For"] = ip
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if val and "max-age=0" not in value.lower():
                        self.cookies[key.strip()] = val
                    else:
                        self.cookies.pop(key.strip(), None)
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            return response.status, headers_out, response.read().decode()
        finally:
            conn.close()

    def csrf(self, node: str, path: str) -> str:
        _status, _h, body = self.request(node, "GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        return match.group(1) if match else ""


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238: HMAC-SHA1, 30 s, 6 digits)."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


def wrk(url: str, *, script: str | None = None, args: list[str] = ()) -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(ROOT / "bench" / "lua" / script)]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def shell(env: dict, code: str) -> str:
    return stack.manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def main() -> None:
    if not shutil.which("haproxy"):
        sys.exit("haproxy is needed: apt-get install haproxy")
    started = datetime.now(UTC)
    v = Verdict("two nodes behind HAProxy")
    figures: dict[str, dict] = {}
    with stack.Stack() as services:
        lb, port_a, port_b = stack.free_port(), stack.free_port(), stack.free_port()
        smtp_port, mail_file = services.smtp_sink()
        env = stack.project_env(
            database_url=DATABASE_URL,
            redis_url=REDIS_URL,
            port=lb,
            smtp_port=smtp_port,
            TRUSTED_PROXIES="1",
        )
        stack.recreate_database(DATABASE_URL)
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)
        stack.prepare_project(env, seed=1000)
        node_a = services.gunicorn("node-a", env, port_a, workers=WORKERS)
        services.gunicorn("node-b", env, port_b, workers=WORKERS)
        services.celery("worker", env)
        cfg = services.log_dir / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(lb=lb, a=port_a, b=port_b))
        services.start("haproxy", ["haproxy", "-f", str(cfg), "-db"])
        stack.wait_port(lb)
        stack.wait_http(f"http://127.0.0.1:{lb}/healthz", process=node_a)
        print(f"HAProxy on {lb} -> node a {port_a}, node b {port_b}; logs in {services.log_dir}", flush=True)

        # 1. Sign on A, confirm on B.
        visitor = Browser(lb)
        address = f"s{secrets.token_hex(3)}@example.com"
        status, headers, _b = visitor.request(
            "a", "POST", "/pledge/", {"email": address, "kinds": "cancelled", "country": "FR"}, ip=fresh_ip()
        )
        v.check(
            status == 303 and headers.get("x-served-by") == "a",
            f"sign on node a: {status}, {headers.get('x-served-by')}",
        )
        wait_for_mail(mail_file, [address], 60)
        link = next((lk for rcpt, _s, lk in mails(mail_file) if rcpt == address and lk), "")
        path = urlsplit(link).path
        status, headers, _b = visitor.request("b", "GET", path)
        v.check(
            status == 200 and headers.get("x-served-by") == "b", f"the emailed link opens on node b: {status}"
        )
        status, headers, _b = visitor.request("b", "POST", path, {"action": "confirm"})
        v.check(
            status in {302, 303} and "/thanks/" in headers.get("location", ""),
            f"and confirms there: {status} {headers.get('location')}",
        )

        # 2. Organiser: password on A, TOTP on B, admin on A.
        code = (
            "from django.contrib.auth import get_user_model\n"
            "from allauth.account.models import EmailAddress\n"
            "from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret\n"
            f"email = 'olga-{secrets.token_hex(2)}@example.com'\n"
            "u = get_user_model().objects.create_user(username=email.split('@')[0], email=email,"
            f" password={PASSWORD!r}, is_staff=True, is_superuser=True)\n"
            "EmailAddress.objects.create(user=u, email=email, verified=True, primary=True)\n"
            "secret = generate_totp_secret()\n"
            "TOTP.activate(u, secret)\n"
            "print(email, secret)\n"
        )
        email, secret = shell(env, code).split()
        organiser = Browser(lb)
        token = organiser.csrf("a", "/accounts/login/")
        status, headers, _b = organiser.request(
            "a",
            "POST",
            "/accounts/login/?next=/admin/",
            {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        v.check(
            status == 302 and "/2fa/authenticate/" in headers.get("location", ""),
            f"password accepted on node a, TOTP asked: {status}",
        )
        token = organiser.csrf("b", "/accounts/2fa/authenticate/")
        totp = totp_code(secret)
        status, headers, _b = organiser.request(
            "b", "POST", "/accounts/2fa/authenticate/", {"code": totp, "csrfmiddlewaretoken": token}
        )
        v.check(
            status == 302 and headers.get("location") == "/admin/",
            f"TOTP code accepted on node b: {status} {headers.get('location')}",
        )
        status, headers, _b = organiser.request("a", "GET", "/admin/")
        v.check(status == 200 and headers.get("x-served-by") == "a", f"the admin opens on node a: {status}")
        status, _h, _b = organiser.request("b", "GET", "/admin/")
        v.check(status == 200, f"and on node b: {status}")

        # 3. Rate limits across nodes.
        ip = fresh_ip()
        first, second = f"r1{secrets.token_hex(3)}@example.com", f"r2{secrets.token_hex(3)}@example.com"
        Browser(lb).request(
            "a", "POST", "/pledge/", {"email": first, "kinds": "cancelled", "country": "FR"}, ip=ip
        )
        Browser(lb).request(
            "b", "POST", "/pledge/", {"email": second, "kinds": "cancelled", "country": "FR"}, ip=ip
        )
        flags = shell(
            env,
            "from pledges.models import Pledge as P;"
            f"print([P.objects.get(supporter__email_normalised=e).suspicious"
            f" for e in ({first!r}, {second!r})])",
        )
        v.check(
            flags == "[False, True]", f"one IP, a pledge on a then one on b: the second is flagged: {flags}"
        )
        attacker = Browser(lb)
        limited = []
        for i in range(6):
            node = "ab"[i % 2]
            token = attacker.csrf(node, "/accounts/login/")
            _status, _h, body = attacker.request(
                node,
                "POST",
                "/accounts/login/",
                {"login": email, "password": "wrong", "csrfmiddlewaretoken": token},
                ip=fresh_ip(),
            )
            # allauth answers the form again, with this error once the account's limit is reached.
            limited.append("Too many failed login attempts" in body)
        v.check(
            limited == [False] * 5 + [True],
            f"6 wrong passwords for one account, alternating nodes (5 per 5 minutes): refused: {limited}",
        )

        # 4. The tally agrees.
        stack.manage(env, "recompute_tally")
        time.sleep(1.5)  # TALLY_LOCAL_CACHE_SECONDS
        answers = {node: Browser(lb).request(node, "GET", "/api/tally") for node in "ab"}
        etags = {node: a[1].get("etag") for node, a in answers.items()}
        totals = {node: json.loads(a[2])["total"] for node, a in answers.items()}
        v.check(
            etags["a"] == etags["b"] and totals["a"] == totals["b"],
            f"/api/tally on a and b: {totals}, {etags}",
        )
        pages = {
            node: re.search(r'data-tally-total="(\d+)"', Browser(lb).request(node, "GET", "/")[2]).group(1)
            for node in "ab"
        }
        v.check(pages["a"] == pages["b"] == str(totals["a"]), f"the home page's counter on a and b: {pages}")

        # 5. Throughput: one node alone, then the pair behind HAProxy.
        run = secrets.token_hex(3)
        for label, url in (
            ("one node", f"http://127.0.0.1:{port_a}"),
            ("two nodes behind HAProxy", f"http://127.0.0.1:{lb}"),
        ):
            figures[label] = {
                "/api/tally": wrk(url + "/api/tally"),
                "/": wrk(url + "/"),
                "POST /pledge/": wrk(
                    url + "/pledge/",
                    script="pledge.lua",
                    args=["/pledge/", f"http://127.0.0.1:{lb}", run + label[0]],
                ),
            }
            for what, result in figures[label].items():
                print(f"  {label} {what}: {result}", flush=True)
    report = {
        "when": started.strftime("%Y-%m-%d %H:%M UTC"),
        "load": os.getloadavg()[0],
        "checks": {"failures": v.failures},
        "figures": figures,
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"scale-{started:%Y%m%d-%H%M%S}.json").write_text(
        json.dumps(report, indent=2)
    )
    table = render(report)
    print(table)
    if WRITE:
        path = ROOT / "SCALING.md"
        text = path.read_text()
        start, end = "<!-- SCALE-RESULTS -->", "<!-- /SCALE-RESULTS -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        path.write_text(f"{head}{start}\n{table}\n{end}{tail}")
    print(
        f"\n{'PASS' if v.passed else 'FAIL'}: {v.name}" + ("" if v.passed else " -- " + "; ".join(v.failures))
    )
    sys.exit(0 if v.passed else 1)


def render(report: dict) -> str:
    one, two = report["figures"]["one node"], report["figures"]["two nodes behind HAProxy"]
    lines = [
        f"Run {report['when']} (load {report['load']:.1f}); each node gunicorn {WORKERS} sync workers; "
        f"`wrk -t2 -c{CONNECTIONS} -d{DURATION}`; all on one 2-core machine, so the pair shares the "
        "same CPUs.",
        "",
        "| endpoint | one node req/s (p99 ms) | two nodes via HAProxy req/s (p99 ms) | gain |",
        "|---|---|---|---|",
    ]
    for what in one:
        a, b = one[what], two[what]
        lines.append(
            f"| `{what}` | {a['rps']:.0f} ({a['p99_ms']:.0f}) | {b['rps']:.0f} ({b['p99_ms']:.0f}) | "
            f"{b['rps'] / a['rps']:.2f}x |"
        )
    failures = report["checks"]["failures"]
    lines += [
        "",
        "Cross-node checks: " + ("all passed." if not failures else "failed: " + "; ".join(failures)),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
