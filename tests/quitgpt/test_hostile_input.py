"""Hostile input and what the logs keep: a NUL byte is a clear 400, private tokens never reach a log."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from quitgpt.logredact import REDACTED, RedactTokensFilter, redact
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
NUL_MESSAGE = "This address contains a NUL character"


# --- NUL bytes --------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/?x=%00",
        "/alternatives/?category=%00",
        "/alternatives/compare/?slug=%00",
        "/supporters/?page=%00",
        "/events/feed.ics?lang=%00",
        "/api/tally?lang=%00",
        "/pledge/confirm/ab%00cd/",
        "/pledge/manage/ab%00cd/",
        "/fr/alternatives/?q%00=1",
    ],
)
def test_a_nul_byte_in_the_address_is_a_clear_400_on_public_pages(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400, path
    assert NUL_MESSAGE in response.content.decode() or "caractère NUL" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/pledges/pledge/?q=%00",
        "/admin/pledges/pledge/?status=%00",
        "/admin/alternatives/alternative/?q=%00",
        "/admin/quitgpt/auditentry/?q=ab%00",
    ],
)
def test_a_nul_byte_in_an_admin_search_or_filter_is_a_clear_400(admin_client: Client, path: str) -> None:
    response = admin_client.get(path)
    assert response.status_code == 400, path
    assert NUL_MESSAGE in response.content.decode()


@pytest.mark.django_db
def test_an_address_without_nul_is_untouched(client: Client) -> None:
    assert client.get("/alternatives/?category=assistant").status_code == 200


# --- private tokens out of the logs -----------------------------------------------------------------------
SECRET = "S3cr3tT0kenValue_abcdefghijklmnopqrstuvwxyz01"


def _private_routes() -> list[str]:
    """Every URL pattern (as a readable route) that takes a `token` or `key` parameter."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                full = prefix + route
                if "token" in full or "<key>" in full or "(?P<key>" in full:
                    found.append(full)

    walk(get_resolver().url_patterns, "/")
    return found


def test_every_private_link_of_the_site_is_redacted() -> None:
    routes = _private_routes()
    assert len(routes) >= 5  # confirm, manage (and its export), RSVP confirm and cancel, reset key
    for route in routes:
        sample = (
            route.replace("^", "")
            .replace("$", "")
            .replace("<str:token>", SECRET)
            .replace("<int:pk>", "42")
            .replace("(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)", f"2s-{SECRET}")
            .replace("<key>", SECRET)
            .replace("(?P<key>[-:\\w]+)", SECRET)
        )
        line = f'127.0.0.1 - - "GET {sample}?x=1 HTTP/1.1" 200'
        assert SECRET not in redact(line), route
        assert REDACTED in redact(line), route


def test_the_thank_you_pages_private_parameters_are_redacted() -> None:
    line = f'"GET /fr/pledge/thanks/Abc123456/?receipt={SECRET}&k={SECRET}&done=details HTTP/1.1" 302'
    assert redact(line) == (
        f'"GET /fr/pledge/thanks/Abc123456/?receipt={REDACTED}&k={REDACTED}&done=details HTTP/1.1" 302'
    )
    assert redact("/events/?kind=rally&page=2") == "/events/?kind=rally&page=2"  # not `k=`


def test_redaction_leaves_ordinary_paths_alone() -> None:
    for line in ('"GET /pledge/ HTTP/1.1" 200', "Not Found: /events/rsvp/", "/pledge/thanks/abc123/"):
        assert redact(line) == line


def _console_handler() -> logging.Handler:
    [handler] = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactTokensFilter) for f in h.filters)
    ]
    return handler


@pytest.mark.django_db
def test_django_logs_a_missing_private_page_without_its_token(client: Client) -> None:
    handler = _console_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        assert client.get(f"/pledge/manage/{SECRET}/").status_code == 404
        assert client.get(f"/events/rsvp/7/{SECRET}/cancel/").status_code == 404
        logging.getLogger("quitgpt").warning("looked up %s", f"/fr/pledge/confirm/{SECRET}/")
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "Not Found: /pledge/manage/[redacted]/" in output
    assert "/fr/pledge/confirm/[redacted]/" in output
    assert SECRET not in output


def test_gunicorns_access_log_shows_no_token(tmp_path) -> None:
    """The real gunicorn, started as the image starts it, with its config file picked up from the repo."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",  # no tables: the page is a 503, still logged
        "REDIS_URL": "",
        "DJANGO_DEBUG": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "quitgpt.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/pledge/manage/{SECRET}/", timeout=5)
                break
            except urllib.error.HTTPError:
                break  # answered (404 or 503): logged
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "GET /pledge/manage/[redacted]/" in output, output[-2000:]
    assert SECRET not in output


@pytest.mark.django_db
def test_a_nul_byte_on_a_machine_address_is_its_documented_json_400(client):
    response = client.get("/api/log/heads", {"page": "1\x00"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["error"]
