"""allauth's rate limits, counted in the real Redis cache shared by every web node."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.helpers import PASSWORD, add_totp, make_organiser

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client: Client) -> None:
    organiser = make_organiser()
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": organiser.email, "password": "guess"})
        assert response.status_code == 200
    response = Client().post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content


def test_wrong_totp_codes_are_limited_too(client: Client) -> None:
    organiser = make_organiser()
    add_totp(organiser)
    client.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    contents = [client.post("/accounts/2fa/authenticate/", {"code": "000000"}).content for _ in range(6)]
    assert b"Too many failed login attempts" in contents[-1]


def test_at_most_three_codes_an_hour_are_sent_to_one_address(db) -> None:
    make_organiser("sam@example.org")
    responses = [Client().post("/accounts/login/code/", {"email": "sam@example.org"}) for _ in range(4)]
    assert [r.status_code for r in responses[:3]] == [302, 302, 302]
    assert responses[3].status_code == 200  # the form again, with an error
    assert b"Too many" in responses[3].content
    assert len(mail.outbox) == 3


def test_one_address_cannot_flood_sign_in_attempts(client: Client) -> None:
    statuses = [
        client.post("/accounts/login/", {"login": f"x{i}@example.org", "password": "guess"}).status_code
        for i in range(31)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:30]) == {200}


def test_the_code_limit_answers_the_same_for_an_unknown_address(db) -> None:
    fourth = [Client().post("/accounts/login/code/", {"email": "nobody@example.org"}) for _ in range(4)][-1]
    assert fourth.status_code == 200 and b"Too many" in fourth.content
