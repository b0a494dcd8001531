from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pledge/",
        "/alternatives/",
        "/events/",
        "/how-we-count/",
        "/privacy/",
        "/supporters/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/fr/accounts/login/",
    ],
)
def test_every_page_renders_in_the_shared_layout(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    prefix = "/fr" if path.startswith("/fr/") else ""
    for target in ("/privacy/", "/pledge/", "/alternatives/", "/events/", "/how-we-count/"):
        assert f'href="{prefix}{target}"' in html


def test_pages_load_nothing_from_other_sites(client: Client) -> None:
    html = client.get("/").content.decode()
    loaded = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*>", html)
    assert loaded, "expected at least the stylesheet and script"
    for tag in loaded:
        if re.match(r'<link rel="(?:canonical|alternate)"', tag):
            continue  # addresses of this page, not resources: nothing is loaded from them
        assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", tag), tag


def test_french_pages_live_under_fr_and_are_translated(client: Client) -> None:
    response = client.get("/fr/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Comment nous comptons" in html
    assert 'href="/" lang="en"' in html


def test_the_english_page_links_to_its_french_version(client: Client) -> None:
    html = client.get("/alternatives/").content.decode()
    assert 'href="/fr/alternatives/" lang="fr"' in html


def test_the_privacy_page_says_what_is_kept_and_why(client: Client) -> None:
    html = client.get("/privacy/").content.decode()
    assert "keyed hash of your IP address" in html
    assert "deleted after 7 days" in html


def test_an_unknown_page_is_a_404_in_our_layout(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/fr/", "/alternatives/", "/api/tally", "/api/events", "/events/feed.ics"]
)
def test_the_url_alone_decides_the_language_so_caches_need_not_vary_on_it(client: Client, path: str) -> None:
    french_browser = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    english_browser = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert french_browser.status_code == 200
    assert french_browser.content == english_browser.content
    assert "accept-language" not in french_browser.get("Vary", "").lower()


def test_the_admin_still_follows_the_browser_language(client: Client) -> None:
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "accept-language" in response.get("Vary", "").lower()
