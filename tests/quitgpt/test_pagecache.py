"""Hot pages are bytes (quitgpt.pagecache): a stored answer is the full path's answer, byte for byte and
header for header; only anonymous visitors without a query string get one; a new tally shows at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from quitgpt.pagecache import page_cache

pytestmark = pytest.mark.django_db

PAGES = ["/", "/pledge/", "/alternatives/", "/events/", "/how-we-count/", "/supporters/", "/privacy/"]
CACHED = [
    *PAGES,
    *("/fr" + path for path in PAGES),
    "/api/tally",
    "/badge.svg",
    "/badge.svg?lang=fr",
    "/embed/counter/",
    "/embed/counter/?lang=fr",
]


@pytest.fixture
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 30
    page_cache.clear()
    yield
    page_cache.clear()


def publish(count: int = 2) -> None:
    call_command("seed_demo_pledges", count=count, force=True, verbosity=0)
    call_command("recompute_tally", verbosity=0)


def answer(response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.items()), response.content


@pytest.mark.parametrize("path", CACHED)
def test_it_answers_a_stored_page_with_the_full_paths_bytes_and_headers(
    client: Client, settings, cache_on, path: str
) -> None:
    publish()
    settings.PAGE_CACHE_SECONDS = 0
    full = client.get(path)
    settings.PAGE_CACHE_SECONDS = 30
    stored = client.get(path)  # a miss: the full path, stored
    hits = page_cache.hits
    served = client.get(path)
    assert page_cache.hits == hits + 1, "the second request was not served from the cache"
    assert full.status_code == 200
    assert answer(served) == answer(full) == answer(stored)
    assert not served.cookies


@pytest.mark.parametrize("path", ["/", "/fr/pledge/", "/badge.svg"])
def test_a_head_request_gets_the_same_headers_as_the_full_path(
    client: Client, settings, cache_on, path: str
) -> None:
    settings.PAGE_CACHE_SECONDS = 0
    full = client.head(path)
    settings.PAGE_CACHE_SECONDS = 30
    client.get(path)
    hits = page_cache.hits
    served = client.head(path)
    assert page_cache.hits == hits + 1
    assert sorted(served.items()) == sorted(full.items())


def test_a_new_snapshot_shows_on_every_stored_page_at_once(client: Client, cache_on) -> None:
    publish(1)
    before = {path: client.get(path).content for path in PAGES}
    assert all(b'data-tally-total="1"' in body for body in before.values())
    publish(4)
    for path in PAGES:
        assert b'data-tally-total="5"' in client.get(path).content, path


def test_a_signed_in_visitor_never_gets_the_anonymous_page_nor_stores_theirs(
    client: Client, cache_on
) -> None:
    anonymous = client.get("/")
    user = get_user_model().objects.create_user(username="ada", email="ada@example.org")
    client.force_login(user)
    hits = page_cache.hits
    signed_in = client.get("/")
    assert page_cache.hits == hits
    assert b"My pledges" in signed_in.content
    assert b"My pledges" not in anonymous.content
    client.logout()
    again = Client().get("/")
    assert b"My pledges" not in again.content


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "messages"])
def test_a_visitor_with_a_session_csrf_or_messages_cookie_takes_the_full_path(
    client: Client, cache_on, cookie: str
) -> None:
    client.get("/")
    client.cookies[cookie] = "x"
    hits = page_cache.hits
    client.get("/")
    assert page_cache.hits == hits


@pytest.mark.parametrize(
    "path",
    ["/?ref=abcdef12", "/supporters/?page=2", "/alternatives/?q=mail", "/?utm_source=x", "/api/tally?x=1"],
)
def test_a_query_string_takes_the_full_path(client: Client, cache_on, path: str) -> None:
    client.get(path)
    hits = page_cache.hits
    second = client.get(path)
    assert page_cache.hits == hits
    assert second.status_code == 200


def test_the_language_switch_of_a_page_with_a_query_string_keeps_it(client: Client, cache_on) -> None:
    # Why query strings are never served from the cache: the page repeats them (here in the language
    # link), so `/?utm_source=x` is not the same page as `/`.
    client.get("/")
    assert b"/fr/?utm_source=x" in client.get("/?utm_source=x").content


def test_a_conditional_request_is_answered_by_the_view(client: Client, cache_on) -> None:
    etag = client.get("/api/tally")["ETag"]
    client.get("/api/tally")
    response = client.get("/api/tally", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_a_post_is_never_answered_from_the_cache(client: Client, cache_on) -> None:
    client.get("/pledge/")
    hits = page_cache.hits
    response = client.post("/pledge/", {"email": "x"}, HTTP_SEC_FETCH_SITE="same-origin")
    assert page_cache.hits == hits
    assert response.status_code == 400


def test_an_unknown_host_is_refused_as_on_the_full_path(client: Client, cache_on) -> None:
    client.get("/")
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


def test_with_the_database_down_and_nothing_stored_a_page_gets_the_503_page(
    client: Client, cache_on, monkeypatch
) -> None:
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    from tally import selectors

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    selectors.cache.delete(selectors.CACHE_KEY)
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    response = client.get("/events/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
