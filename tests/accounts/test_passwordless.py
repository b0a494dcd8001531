"""Supporters sign up with an address alone and sign in with a one-time code; no form tells whether an
account exists."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.accounts.helpers import PASSWORD, code_from_mail, make_organiser

pytestmark = pytest.mark.django_db


def _inputs(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="([^"]+)"', html)


def _signed_in_user(client: Client):
    from django.contrib.auth import get_user

    class _Req:
        session = client.session

    return get_user(_Req())


def test_the_signup_form_asks_for_an_email_address_and_no_password(client: Client) -> None:
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    names = _inputs(response.content.decode())
    assert "email" in names
    assert not [n for n in names if n.startswith("password")]


def test_a_supporter_signs_up_with_an_address_alone_and_a_code(client: Client) -> None:
    response = client.post("/accounts/signup/", {"email": "sam@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not _signed_in_user(client).is_authenticated
    code = code_from_mail(mail.outbox[-1])
    assert mail.outbox[-1].to == ["sam@example.org"]

    response = client.post("/accounts/confirm-email/", {"code": code})
    assert response.status_code == 302
    user = _signed_in_user(client)
    assert user.is_authenticated and user.email == "sam@example.org"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert client.get("/accounts/").status_code == 200


def test_a_wrong_code_does_not_sign_up(client: Client) -> None:
    client.post("/accounts/signup/", {"email": "sam@example.org"})
    response = client.post("/accounts/confirm-email/", {"code": "AAAA-AAAA"})
    assert response.status_code == 200
    assert not _signed_in_user(client).is_authenticated
    assert not EmailAddress.objects.filter(verified=True).exists()


def test_a_supporter_signs_in_with_a_code_sent_to_their_address(client: Client, supporter) -> None:
    response = client.post("/accounts/login/code/", {"email": "Sam@Example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/confirm/"
    assert mail.outbox[-1].to == ["sam@example.org"]
    response = client.post("/accounts/login/code/confirm/", {"code": code_from_mail(mail.outbox[-1])})
    assert response.status_code == 302
    assert _signed_in_user(client) == supporter


def test_a_sign_in_code_is_dead_after_three_wrong_tries(client: Client, supporter) -> None:
    client.post("/accounts/login/code/", {"email": "sam@example.org"})
    code = code_from_mail(mail.outbox[-1])
    for _ in range(3):
        client.post("/accounts/login/code/confirm/", {"code": "AAAA-AAAA"})
    client.post("/accounts/login/code/confirm/", {"code": code})
    assert not _signed_in_user(client).is_authenticated


def test_the_code_form_answers_the_same_for_an_unknown_and_a_known_address(supporter) -> None:
    answers = []
    for email in ("sam@example.org", "nobody@example.org"):
        client = Client()
        first = client.post("/accounts/login/code/", {"email": email})
        page = client.get(first["Location"])
        html = re.sub(r'value="[^"]+"', 'value=""', page.content.decode()).replace(email, "EMAIL")
        answers.append((first.status_code, first["Location"], page.status_code, html))
    assert answers[0] == answers[1]
    # Both addresses get a mail, so that the mailbox owner learns of the attempt either way.
    assert sorted(m.to[0] for m in mail.outbox) == ["nobody@example.org", "sam@example.org"]


def test_the_password_form_answers_the_same_for_an_unknown_address_and_a_wrong_password(db) -> None:
    make_organiser("olga@example.org")
    answers = []
    for email in ("olga@example.org", "nobody@example.org"):
        response = Client().post("/accounts/login/", {"login": email, "password": "not the password"})
        html = re.sub(r'value="[^"]+"', 'value=""', response.content.decode()).replace(email, "EMAIL")
        answers.append((response.status_code, html))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200


def test_signing_up_with_a_taken_address_answers_like_a_new_one(supporter) -> None:
    answers = []
    for email in ("sam@example.org", "new@example.org"):
        client = Client()
        response = client.post("/accounts/signup/", {"email": email})
        page = client.get(response["Location"])
        html = re.sub(r'value="[^"]+"', 'value=""', page.content.decode()).replace(email, "EMAIL")
        answers.append((response.status_code, response["Location"], page.status_code, html))
    assert answers[0] == answers[1]
    assert get_user_model().objects.filter(email="sam@example.org").count() == 1


def test_the_password_reset_form_answers_the_same_for_an_unknown_address(db) -> None:
    make_organiser("olga@example.org")
    answers = []
    for email in ("olga@example.org", "nobody@example.org"):
        response = Client().post("/accounts/password/reset/", {"email": email})
        answers.append((response.status_code, response.get("Location")))
    assert answers[0] == answers[1]


def test_an_organiser_can_still_sign_in_with_a_password(client: Client) -> None:
    organiser = make_organiser("olga@example.org")
    response = client.post("/accounts/login/", {"login": "olga@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in_user(client) == organiser


def test_the_sign_in_page_offers_supporters_a_code_and_organisers_a_password(client: Client) -> None:
    html = client.get("/accounts/login/?next=/accounts/").content.decode()
    assert 'href="/accounts/login/code/?next=%2Faccounts%2F"' in html
    assert 'name="password"' in html
    assert 'href="/accounts/signup/?next=%2Faccounts%2F"' in html


def test_emails_name_the_site_not_example_com(client: Client, supporter) -> None:
    client.post("/accounts/login/code/", {"email": "sam@example.org"})
    assert "QuitGPT" in mail.outbox[-1].body
    assert "example.com" not in mail.outbox[-1].body


def test_the_account_page_is_for_signed_in_people(client: Client, supporter) -> None:
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/")
    client.force_login(supporter)
    response = client.get("/accounts/")
    assert response.status_code == 200
    assert b"sam@example.org" in response.content
    assert b"/admin/" not in response.content  # the admin link is for organisers only


def test_the_header_shows_the_account_link_to_signed_in_people_only(client: Client, supporter) -> None:
    assert b'href="/accounts/"' not in client.get("/").content
    client.force_login(supporter)
    assert b'href="/accounts/"' in client.get("/").content
    assert b'href="/fr/accounts/"' in client.get("/fr/").content


def test_a_page_for_a_signed_in_person_is_not_publicly_cacheable(client: Client, supporter) -> None:
    assert "public" in client.get("/privacy/")["Cache-Control"]
    client.force_login(supporter)
    cache_control = client.get("/privacy/")["Cache-Control"]
    assert "private" in cache_control and "public" not in cache_control


def test_the_french_sign_in_page_is_translated(client: Client) -> None:
    html = client.get("/fr/accounts/login/").content.decode()
    assert "Pas besoin de mot de passe" in html


def test_leaving_the_password_empty_sends_a_sign_in_code(client: Client, supporter) -> None:
    response = client.post("/accounts/login/", {"login": "sam@example.org", "password": ""})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    response = client.post("/accounts/login/code/confirm/", {"code": code_from_mail(mail.outbox[-1])})
    assert _signed_in_user(client) == supporter
