"""Security headers on every response, and no cookie for anonymous visitors of the public pages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from tests.conftest import ROOT
from tests.quitgpt.test_settings import PROD

pytestmark = pytest.mark.django_db

# Every public page and API: an anonymous visitor gets no cookie from any of them, so that a CDN can cache
# them for everyone. Add new public addresses here (the French version of each page is checked too).
PUBLIC_PAGES = [
    "/",
    "/pledge/",
    "/alternatives/",
    "/events/",
    "/supporters/",
    "/how-we-count/",
    "/privacy/",
    "/alternatives/claude/",
    "/alternatives/compare/",
    "/alternatives/how-to-switch/",
    "/events/san-francisco-protest-2026-03-03/",
]
PUBLIC_APIS = [
    "/api/tally/daily.csv",
    "/api/tally/daily.json",
    "/badge.svg",
    "/og.png",
    "/events/feed.ics",
    "/events/san-francisco-protest-2026-03-03.ics",
    "/api/tally",
    "/api/alternatives",
    "/api/openapi.json",
    "/api/events",
    "/healthz",
]
PUBLIC = PUBLIC_PAGES + [f"/fr{path}" for path in PUBLIC_PAGES] + PUBLIC_APIS


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_security_headers(response) -> None:
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "browsing-topics=()"):
        assert feature in policy


@pytest.mark.parametrize("path", PUBLIC)
def test_an_anonymous_visitor_gets_no_cookie_and_strict_headers(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code in ({200, 503} if path == "/healthz" else {200})
    assert not response.cookies, f"{path} set {list(response.cookies)}"
    assert "Set-Cookie" not in response.headers
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/login/code/", "/accounts/signup/"])
def test_the_sign_in_pages_carry_the_same_headers(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)
    assert "public" not in response.get("Cache-Control", "")


def test_the_admin_and_the_mfa_pages_carry_the_strict_policy(admin_client: Client) -> None:
    for path in ("/admin/", "/admin/auth/user/", "/accounts/2fa/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
    # The TOTP QR code is a data: image, which img-src allows (and nothing else needs to be loosened).
    assert "data:" in _csp(admin_client.get("/admin/"))["img-src"]


def test_the_admin_pages_have_no_inline_script(admin_client: Client) -> None:
    import re

    for path in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/"):
        html = admin_client.get(path).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=\"", html), path


def test_cookies_of_signed_in_people_are_httponly_and_samesite(client: Client) -> None:
    from tests.accounts.helpers import PASSWORD, make_organiser

    organiser = make_organiser()
    response = client.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.get("/accounts/login/").cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"


def test_in_production_cookies_are_secure_host_only_and_hsts_is_sent(tmp_path) -> None:
    code = (
        "import django, os, json; os.environ.setdefault('DJANGO_SETTINGS_MODULE','quitgpt.settings'); "
        "django.setup(); from django.conf import settings as s; from django.test import Client; "
        "r = Client().get('/healthz', secure=True, HTTP_HOST='quitgpt.example'); "
        "print(json.dumps({'hsts': r.get('Strict-Transport-Security'), 'status': r.status_code, "
        "'session': [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY], "
        "'csrf': [s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY], "
        "'lang': s.LANGUAGE_COOKIE_SECURE, 'cookies': list(r.cookies)}))"
    )
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **PROD, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] in {200, 503}  # no Redis in this process: degraded, but the headers are there
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["session"] == ["__Host-sessionid", True, True]
    assert seen["csrf"] == ["__Host-csrftoken", True, True]
    assert seen["lang"] is True
    assert seen["cookies"] == []
