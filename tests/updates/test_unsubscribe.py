"""RFC 8058 one-click unsubscribe: a POST from anywhere unsubscribes; a GET changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.updates.conftest import make_subscriber, make_update
from updates import selectors, services

pytestmark = pytest.mark.django_db


def _subscribed(pledge) -> bool:
    pledge.supporter.refresh_from_db()
    return pledge.supporter.updates_consent


def test_a_get_shows_a_button_and_changes_nothing() -> None:
    pledge = make_subscriber(email="g@example.org")
    url = services.unsubscribe_url(pledge.supporter_id).removeprefix("http://127.0.0.1:8000")
    response = Client().get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="List-Unsubscribe" value="One-Click"' in body and "<button" in body
    assert _subscribed(pledge)
    assert "Set-Cookie" not in response.headers


def test_a_one_click_post_from_a_mailbox_provider_unsubscribes_at_once() -> None:
    """No cookie, no Origin, no Sec-Fetch-Site, CSRF enforced: as Gmail's servers post."""
    pledge = make_subscriber(email="p@example.org")
    update = make_update()
    assert selectors.audience_size(update) == 1
    url = services.unsubscribe_url(pledge.supporter_id).removeprefix("http://127.0.0.1:8000")
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not _subscribed(pledge)
    assert selectors.audience_size(update) == 0


def test_a_cross_site_post_is_accepted_on_this_one_path() -> None:
    pledge = make_subscriber(email="x@example.org")
    url = services.unsubscribe_url(pledge.supporter_id).removeprefix("http://127.0.0.1:8000")
    response = Client(enforce_csrf_checks=True).post(
        url,
        {"List-Unsubscribe": "One-Click"},
        HTTP_ORIGIN="https://mail.example",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 200
    assert not _subscribed(pledge)


def test_a_post_without_the_one_click_field_changes_nothing() -> None:
    pledge = make_subscriber(email="n@example.org")
    url = services.unsubscribe_url(pledge.supporter_id).removeprefix("http://127.0.0.1:8000")
    response = Client().post(url, {"something": "else"})
    assert response.status_code == 400
    assert _subscribed(pledge)


@pytest.mark.parametrize("token", ["nonsense", "1.forged-signature", "9" * 300])
def test_a_forged_or_mangled_token_is_a_404_and_changes_nothing(token) -> None:
    pledge = make_subscriber(email="f@example.org")
    response = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert _subscribed(pledge)


def test_the_page_speaks_the_supporters_language() -> None:
    pledge = make_subscriber(email="fr@example.org", language="fr")
    url = services.unsubscribe_url(pledge.supporter_id).removeprefix("http://127.0.0.1:8000")
    assert "Se désabonner" in Client().get(url).content.decode()


def test_the_manage_page_has_an_unsubscribe_button(client: Client) -> None:
    from pledges.supporters import manage_token_for

    pledge = make_subscriber(email="m@example.org")
    url = f"/pledge/manage/{manage_token_for(pledge.supporter)}/"
    assert "Unsubscribe from campaign updates" in client.get(url).content.decode()
    response = client.post(
        url, {"action": "unsubscribe", "supporter": pledge.supporter_id}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 303 and response["Location"].endswith("?done=unsubscribed")
    assert not _subscribed(pledge)
    assert "Unsubscribe from campaign updates" not in client.get(url).content.decode()


def test_my_pledges_has_the_same_button() -> None:
    from tests.factories import make_user

    pledge = make_subscriber(email="mine@example.org")
    user = make_user(email="mine@example.org")
    client = Client()
    client.force_login(user)
    assert "Unsubscribe from campaign updates" in client.get("/accounts/pledges/").content.decode()
    response = client.post("/accounts/pledges/", {"action": "unsubscribe", "supporter": pledge.supporter_id})
    assert response.status_code == 303
    assert not _subscribed(pledge)
