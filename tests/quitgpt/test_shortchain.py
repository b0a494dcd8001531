"""quitgpt.shortchain: a pledge POST from a visitor without cookies, on the shorter middleware chain,
gets the status, headers and bytes that the full chain gives the same request; anything else takes the
full chain."""

from __future__ import annotations

import gzip
import io
import secrets
from urllib.parse import urlencode

import pytest
from django.middleware.csrf import CsrfViewMiddleware

from pledges.models import Pledge, PledgeSettings
from pledges.rules import bump_rules_version
from quitgpt.shortchain import Application, ShortChainHandler, takes_short_chain

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://testserver"


@pytest.fixture(scope="module")
def app() -> Application:
    return Application()


def environ(path: str = "/pledge/", *, body: bytes = b"", method: str = "POST", **headers: str) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.10",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_ORIGIN": ORIGIN,
        "HTTP_SEC_FETCH_SITE": "same-origin",
    }
    env.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return env


def call(handler, env: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers)

    result = handler(env, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return seen["status"], list(seen["headers"]), body


def form(**fields: str) -> bytes:
    data = {"email": f"{secrets.token_hex(4)}@example.org", "kinds": "cancelled", "country": "FR"}
    data.update(fields)
    return urlencode(data).encode()


def both(app: Application, make_env) -> tuple[tuple, tuple]:
    """The same request through each chain (`make_env` builds a fresh environ each time)."""
    return call(app.full, make_env()), call(app.short, make_env())


def test_the_short_chain_leaves_out_only_what_does_nothing_without_cookies(app) -> None:
    assert isinstance(app.short, ShortChainHandler)
    full_view_hooks = {type(hook.__self__) for hook in app.full._view_middleware}
    short_view_hooks = {type(hook.__self__) for hook in app.short._view_middleware}
    assert CsrfViewMiddleware in full_view_hooks
    assert CsrfViewMiddleware not in short_view_hooks


def test_only_a_cookieless_pledge_post_takes_the_short_chain() -> None:
    assert takes_short_chain(environ("/pledge/"))
    assert takes_short_chain(environ("/fr/pledge/"))
    assert not takes_short_chain(environ("/pledge/", COOKIE="sessionid=abc"))
    assert not takes_short_chain(environ("/pledge/", method="GET"))
    assert not takes_short_chain(environ("/events/"))


@pytest.mark.parametrize("path", ["/pledge/", "/fr/pledge/"])
def test_a_new_signature_gets_the_same_answer_both_ways(app, path) -> None:
    full, short = both(app, lambda: environ(path, body=form(first_name="Zoé")))  # a new address each
    assert full == short
    assert full[0].startswith("303")


@pytest.mark.parametrize(
    ("path", "fields", "headers"),
    [
        ("/pledge/", {"email": "not an address"}, {}),  # the form again, with its error
        ("/fr/pledge/", {"email": "pas une adresse"}, {}),
        ("/pledge/", {"kinds": ""}, {"ACCEPT_LANGUAGE": "fr"}),
        ("/pledge/", {"website": "http://spam.example"}, {}),  # the honeypot: a bot
        ("/pledge/", {}, {"SEC_FETCH_SITE": "cross-site", "ORIGIN": "https://evil.example"}),
        ("/pledge/", {"first_name": "a\x00b"}, {}),  # a NUL byte
    ],
)
def test_the_short_chain_answers_what_the_full_chain_answers(app, path, fields, headers) -> None:
    body = form(**fields)  # the same body both ways: an error page shows what was sent
    full, short = both(app, lambda: environ(path, body=body, **headers))
    assert full == short
    assert full[0].split()[0] in {"303", "400", "403"}


def test_a_repeated_signature_gets_the_same_answer_both_ways(app) -> None:
    body = form(email="again@example.org")
    call(app.full, environ(body=body))
    full, short = both(app, lambda: environ(body=body))
    assert full == short
    assert full[0].startswith("303")
    assert Pledge.objects.filter(email_normalised="again@example.org").count() == 1


def test_paused_signing_gets_the_same_page_both_ways(app) -> None:
    PledgeSettings.load()
    PledgeSettings.objects.update(signing_paused=True)
    bump_rules_version()  # what saving the settings in the admin does
    full, short = both(app, lambda: environ(body=form()))
    assert full == short
    assert full[0].startswith("503")


def test_a_compressed_error_page_is_the_same_page_both_ways(app) -> None:
    # Django's gzip pads each answer with random bytes (Heal The Breach): the same page, other bytes.
    body = form(email="nope")
    make = lambda: environ(body=body, ACCEPT_ENCODING="gzip")  # noqa: E731
    (full_status, full_headers, full_body), (short_status, short_headers, short_body) = both(app, make)
    assert full_status == short_status and full_status.startswith("400")
    drop = {"Content-Length"}
    assert [h for h in full_headers if h[0] not in drop] == [h for h in short_headers if h[0] not in drop]
    assert dict(full_headers)["Content-Encoding"] == "gzip"
    assert gzip.decompress(full_body) == gzip.decompress(short_body)
