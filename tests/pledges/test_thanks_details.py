"""After confirming, the thank-you page asks for the details the short form left out (name, country, the
wall's message and consent, campaign updates), only of the person who confirmed, through their private
manage token; then it shows the next step, sharing."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from pledges import services
from pledges.models import Pledge, Supporter
from tally.services import tally_recompute
from tests.pledges.conftest import link_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SAVE = "Save my details"


@pytest.fixture
def confirm_quick(client: Client, sign, outbox) -> Callable[..., tuple[Pledge, str]]:
    """Sign with the home page's short form (what you did and your email), confirm through the emailed
    link; returns the pledge and the thank-you address the confirmation leads to."""

    def _confirm(email: str, prefix: str = "", **fields) -> tuple[Pledge, str]:
        data = {"quick": "1", "email": email, "kinds": ["cancelled"], **fields}
        assert sign(path=f"{prefix}/pledge/", **data).status_code == 303
        done = client.post(
            link_in(outbox[-1], "confirm"), {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin"
        )
        assert done.status_code == 302
        return Pledge.objects.get(email=email), done["Location"]

    return _confirm


def _key(thanks_url: str) -> str:
    return parse_qs(urlsplit(thanks_url).query)["k"][0]


def _post(client: Client, pledge: Pledge, data: dict, prefix: str = ""):
    return client.post(
        f"{prefix}/pledge/thanks/{pledge.share_code}/", data, HTTP_SEC_FETCH_SITE="same-origin"
    )


def test_it_asks_a_quick_signer_for_every_detail_then_shows_the_share_step(client, confirm_quick) -> None:
    pledge, thanks = confirm_quick("ada@example.org")
    page = client.get(thanks)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert SAVE in html
    for name in ("first_name", "country", "message", "wall_consent", "updates_consent"):
        assert f'name="{name}"' in html
    supporter = Supporter.objects.get(pk=pledge.supporter_id)
    tally_recompute()
    assert not Supporter.objects.get(pk=supporter.pk).tally_dirty

    saved = _post(
        client,
        pledge,
        {
            "k": _key(thanks),
            "first_name": "Ada",
            "country": "FR",
            "message": "I cancelled today.",
            "wall_consent": "on",
            "updates_consent": "on",
        },
    )
    assert saved.status_code == 303
    assert parse_qs(urlsplit(saved["Location"]).query) == {"k": [_key(thanks)], "done": ["details"]}
    person = Supporter.objects.get(pk=supporter.pk)
    assert (person.first_name, person.country.code, person.message) == ("Ada", "FR", "I cancelled today.")
    assert person.wall_consent and person.updates_consent
    assert not person.message_approved  # a moderator approves it before the wall shows it
    assert person.tally_dirty  # the country moves the person in the tally's breakdown

    after = client.get(saved["Location"]).content.decode()
    assert "Your details are saved. Next step: share the boycott" in after
    assert SAVE not in after and 'name="first_name"' not in after
    assert "Next step: share the boycott" in after and pledge.share_code in after


def test_details_already_given_are_not_asked_again(client, confirm_quick) -> None:
    pledge, thanks = confirm_quick("bo@example.org")
    supporter = Supporter.objects.get(pk=pledge.supporter_id)
    services.supporter_update(supporter=supporter, first_name="Bo", updates_consent=True)
    html = client.get(thanks).content.decode()
    assert 'name="first_name"' not in html and 'name="updates_consent"' not in html
    assert 'name="country"' in html and 'name="message"' in html and 'name="wall_consent"' in html
    # A post of a field that was not asked changes nothing of it.
    response = _post(client, pledge, {"k": _key(thanks), "first_name": "Mallory", "country": "DE"})
    assert response.status_code == 303
    person = Supporter.objects.get(pk=supporter.pk)
    assert (person.first_name, person.country.code, person.updates_consent) == ("Bo", "DE", True)


def test_someone_who_signed_the_full_form_is_asked_nothing_more(client, sign, outbox) -> None:
    assert sign(email="cy@example.org", first_name="", updates_consent="").status_code == 303
    thanks = client.post(
        link_in(outbox[-1], "confirm"), {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    html = client.get(thanks["Location"]).content.decode()
    assert "I switched to" in html  # the private page
    assert SAVE not in html and 'name="first_name"' not in html


def test_without_its_owners_token_the_page_shows_no_personal_data_and_no_form(client, confirm_quick) -> None:
    pledge, thanks = confirm_quick("dee@example.org")
    other, other_thanks = confirm_quick("eve@example.org")
    services.supporter_update(
        supporter=Supporter.objects.get(pk=pledge.supporter_id), first_name="Deirdre", message="Private words"
    )
    for url in (
        f"/pledge/thanks/{pledge.share_code}/",  # the public share code alone
        f"/pledge/thanks/{pledge.share_code}/?k=" + "0" * 43,  # a forged token
        f"/pledge/thanks/{pledge.share_code}/?k={_key(other_thanks)}",  # another person's token
    ):
        html = client.get(url).content.decode()
        assert "Deirdre" not in html and "Private words" not in html and "dee@example.org" not in html
        assert SAVE not in html and 'name="k"' not in html and "I switched to" not in html
    before = Supporter.objects.get(pk=pledge.supporter_id)
    for data in (
        {"first_name": "Hacked"},
        {"k": "0" * 43, "first_name": "Hacked"},
        {"k": _key(other_thanks), "first_name": "Hacked"},
    ):
        assert _post(client, pledge, data).status_code == 400
    # A cross-site post is refused before anything is read.
    cross = client.post(
        f"/pledge/thanks/{pledge.share_code}/",
        {"k": _key(thanks), "first_name": "Hacked"},
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert cross.status_code == 403
    after = Supporter.objects.get(pk=pledge.supporter_id)
    assert (
        (after.first_name, after.message)
        == (before.first_name, before.message)
        == ("Deirdre", "Private words")
    )
    assert Supporter.objects.get(pk=other.supporter_id).first_name == ""


def test_bad_input_shows_the_form_again_with_its_error_and_saves_nothing(client, confirm_quick) -> None:
    pledge, thanks = confirm_quick("fay@example.org")
    response = _post(client, pledge, {"k": _key(thanks), "first_name": "Fay", "message": "x" * 281})
    assert response.status_code == 400 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert SAVE in html and "Please correct the marked fields." in html and 'value="Fay"' in html
    assert Supporter.objects.get(pk=pledge.supporter_id).first_name == ""
    assert _post(client, pledge, {"k": _key(thanks), "country": "XX"}).status_code == 400


def test_the_thank_you_form_is_complete_in_french(client, confirm_quick) -> None:
    pledge, thanks = confirm_quick("gil@example.org", prefix="/fr")
    assert thanks.startswith("/fr/pledge/thanks/")
    html = client.get(thanks).content.decode()
    for french in (
        "Encore une étape",
        "Prénom",
        "Pays",
        "Enregistrer mes coordonnées",
        "nouvelles de la campagne",
    ):
        assert french in html, french
    saved = _post(client, pledge, {"k": _key(thanks), "first_name": "Gil"}, prefix="/fr")
    assert saved["Location"].startswith("/fr/pledge/thanks/")
    after = client.get(saved["Location"]).content.decode()
    assert "Vos coordonnées sont enregistrées" in after and "Étape suivante" in after


def test_the_manage_page_asks_the_country_and_message_too(client, confirm_quick) -> None:
    pledge, _ = confirm_quick("hal@example.org")
    supporter = Supporter.objects.get(pk=pledge.supporter_id)
    url = f"/pledge/manage/{services.manage_token_for(supporter)}/"
    html = client.get(url).content.decode()
    assert 'name="country"' in html and 'name="message"' in html
    data = {
        "action": "update",
        "supporter": supporter.pk,
        "first_name": "Hal",
        "country": "BE",
        "message": "Bye",
    }
    assert client.post(url, data, HTTP_SEC_FETCH_SITE="same-origin").status_code == 303
    person = Supporter.objects.get(pk=supporter.pk)
    assert (person.first_name, person.country.code, person.message) == ("Hal", "BE", "Bye")


def test_supporter_update_leaves_what_it_is_not_given_and_marks_a_new_country_dirty() -> None:
    from tests.factories import make_pledge

    pledge = make_pledge(
        email="ivy@example.org",
        status="confirmed",
        first_name="Ivy",
        country="FR",
        message="Hi",
        message_approved=True,
        wall_consent=True,
    )
    supporter = Supporter.objects.get(pk=pledge.supporter_id)
    Supporter.objects.filter(pk=supporter.pk).update(tally_dirty=False)
    services.supporter_update(supporter=supporter, updates_consent=True)
    person = Supporter.objects.get(pk=supporter.pk)
    assert (person.first_name, person.country.code, person.message, person.wall_consent) == (
        "Ivy",
        "FR",
        "Hi",
        True,
    )
    assert person.message_approved and not person.tally_dirty  # nothing published changed
    services.supporter_update(supporter=supporter, country="FR", message="Hi")
    assert not Supporter.objects.get(pk=supporter.pk).tally_dirty  # the same values: no change
    services.supporter_update(supporter=supporter, message="Changed")
    assert not Supporter.objects.get(pk=supporter.pk).message_approved
    services.supporter_update(supporter=supporter, country="DE")
    assert Supporter.objects.get(pk=supporter.pk).tally_dirty
