"""The private manage link and "My pledges": one set of services, two entry points."""

from __future__ import annotations

import json

import pytest

from pledges.models import Pledge, Supporter
from pledges.services import manage_token_for
from tests.pledges.conftest import link_in, make_pledge

pytestmark = pytest.mark.django_db

POST = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def manage_path(pledge: Pledge) -> str:
    return f"/pledge/manage/{manage_token_for(pledge.supporter)}/"


def test_every_email_carries_the_private_manage_link(client, sign, outbox) -> None:
    sign()
    sign(ip="192.0.2.2")  # the resent confirmation carries it too
    paths = [link_in(m, "manage") for m in outbox]
    assert len(set(paths)) == 1
    response = client.get(paths[0])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies
    assert "I cancelled my paid ChatGPT subscription" in response.content.decode()


def test_the_manage_token_is_long_and_stored_only_as_a_hash(sign, outbox) -> None:
    sign()
    token = link_in(outbox[0], "manage").rstrip("/").rsplit("/", 1)[1]
    supporter = Supporter.objects.get()
    assert len(token) == 64 and token not in supporter.manage_token_hash


def test_a_supporter_changes_name_and_consents(client) -> None:
    pledge = make_pledge(status="confirmed", first_name="Jo", wall_consent=False, message_approved=True)
    path = manage_path(pledge)
    response = client.post(
        path,
        {
            "action": "update",
            "supporter": pledge.supporter_id,
            "first_name": "Joanna",
            "wall_consent": "on",
            "updates_consent": "on",
        },
        **POST,
    )
    assert response.status_code == 303 and response["Location"] == f"{path}?done=updated"
    person = Supporter.objects.get(pk=pledge.supporter_id)
    assert (person.first_name, person.wall_consent, person.updates_consent) == ("Joanna", True, True)
    assert person.message_approved is False  # a new name goes back to moderation
    assert "Your details are saved." in client.get(response["Location"]).content.decode()


def test_a_bad_name_on_the_manage_page_is_a_form_error(client) -> None:
    pledge = make_pledge(status="confirmed")
    response = client.post(
        manage_path(pledge),
        {"action": "update", "supporter": pledge.supporter_id, "first_name": "=cmd"},
        **POST,
    )
    assert response.status_code == 400
    assert "cannot start with" in response.content.decode()


def test_a_supporter_withdraws_a_pledge_and_it_leaves_the_count(client) -> None:
    pledge = make_pledge(status="confirmed")
    Supporter.objects.update(tally_dirty=False)
    response = client.post(
        manage_path(pledge),
        {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk},
        **POST,
    )
    assert response.status_code == 303
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn" and pledge.withdrawn_at is not None
    assert not Pledge.objects.counted().exists()
    assert Supporter.objects.get().tally_dirty


def test_one_cannot_withdraw_someone_elses_pledge_with_ones_own_link(client) -> None:
    mine = make_pledge(status="confirmed")
    theirs = make_pledge(status="confirmed")
    response = client.post(
        manage_path(mine), {"action": "withdraw", "supporter": mine.supporter_id, "pledge": theirs.pk}, **POST
    )
    assert response.status_code == 400
    response = client.post(
        manage_path(mine),
        {"action": "withdraw", "supporter": theirs.supporter_id, "pledge": theirs.pk},
        **POST,
    )
    assert response.status_code == 400
    assert Pledge.objects.get(pk=theirs.pk).status == "confirmed"


def test_a_supporter_downloads_their_data_as_json(client) -> None:
    pledge = make_pledge(status="confirmed", email="Data+x@example.org", message="hi")
    response = client.get(manage_path(pledge) + "my-data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["pledges"][0]["email"] == "Data+x@example.org"
    assert data["pledges"][0]["message"] == "hi"
    assert data["pledges"][0]["status"] == "confirmed"


def test_a_supporter_erases_their_data(client) -> None:
    pledge = make_pledge(status="confirmed", email="gone@example.org", message="bye", first_name="Gone")
    make_pledge(status="pending", email="gone@example.org", kind="shared")
    path = manage_path(pledge)
    refused = client.post(path, {"action": "erase", "supporter": pledge.supporter_id}, **POST)
    assert refused.status_code == 400  # the box must be ticked
    response = client.post(
        path, {"action": "erase", "supporter": pledge.supporter_id, "confirm_erase": "yes"}, **POST
    )
    assert response.status_code == 303 and response["Location"] == "/pledge/erased/"
    supporter = Supporter.objects.get()
    assert supporter.email_normalised == f"erased-{supporter.pk}" and supporter.tally_dirty
    assert (supporter.first_name, supporter.message, str(supporter.country)) == ("", "", "")
    assert not (supporter.wall_consent or supporter.updates_consent or supporter.message_approved)
    for row in Pledge.objects.values():
        assert row["email"] == "" and row["ip_hash"] == ""
        assert "gone" not in row["email_normalised"]
        assert row["status"] == "withdrawn"
    assert not Pledge.objects.counted().exists()
    assert client.get(path).status_code == 404  # the link is dead


def test_a_cross_site_post_to_the_manage_link_is_refused(client) -> None:
    pledge = make_pledge(status="confirmed")
    response = client.post(
        manage_path(pledge),
        {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk},
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403


def test_an_unknown_manage_link_is_a_404(client) -> None:
    assert client.get("/pledge/manage/" + "0" * 64 + "/").status_code == 404
    assert client.get("/pledge/manage/" + "0" * 64 + "/my-data.json").status_code == 404


# --- "My pledges" for a signed-in supporter --------------------------------------------------------------
def test_my_pledges_lists_pledges_of_verified_addresses_only(client, alice) -> None:
    mine = make_pledge(status="confirmed", email="alice+news@example.org")
    unverified = make_pledge(status="confirmed", email="aliceother@gmail.com", first_name="Unverified")
    make_pledge(status="confirmed", email="bob@example.org", first_name="Bobby")
    client.force_login(alice)
    response = client.get("/accounts/pledges/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="pledge" value="{mine.pk}"' in html
    assert f'value="{unverified.pk}"' not in html and "Bobby" not in html
    assert "csrfmiddlewaretoken" in html


def test_my_pledges_offers_the_same_actions(client, alice) -> None:
    pledge = make_pledge(status="confirmed", email="alice@example.org")
    client.force_login(alice)
    client.post(
        "/accounts/pledges/", {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk}
    )
    assert Pledge.objects.get().status == "withdrawn"
    data = json.loads(client.get("/accounts/pledges/my-data.json").content)
    assert data["pledges"][0]["email"] == "alice@example.org"
    client.post(
        "/accounts/pledges/", {"action": "erase", "supporter": pledge.supporter_id, "confirm_erase": "yes"}
    )
    assert Pledge.objects.get().email == ""


def test_another_user_cannot_act_on_alices_pledges(client, alice, bob) -> None:
    pledge = make_pledge(status="confirmed", email="alice@example.org")
    client.force_login(bob)
    assert (
        "No pledge is linked to your verified email addresses."
        in client.get("/accounts/pledges/").content.decode()
    )
    response = client.post(
        "/accounts/pledges/", {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk}
    )
    assert response.status_code == 400
    assert client.get("/accounts/pledges/my-data.json").status_code == 404
    assert Pledge.objects.get().status == "confirmed"


def test_an_anonymous_visitor_is_sent_to_sign_in(client) -> None:
    response = client.get("/accounts/pledges/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/accounts/pledges/my-data.json").status_code == 302


def test_my_pledges_posts_need_the_csrf_token(alice) -> None:
    from django.test import Client

    pledge = make_pledge(status="confirmed", email="alice@example.org")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(
        "/accounts/pledges/", {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk}
    )
    assert response.status_code == 403


def test_the_manage_page_says_how_to_erase_event_sign_ups_too(client) -> None:
    pledge = make_pledge(status="confirmed")
    html = client.get(manage_path(pledge)).content.decode()
    assert "This erases your pledges." in html
    assert 'href="/accounts/pledges/">sign in to My pledges</a>' in html
