"""Organisers reach the admin only through allauth, with TOTP, and idle sessions end after 30 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user
from django.test import Client
from django.utils import timezone

from tests.accounts.helpers import PASSWORD, add_totp, make_organiser, make_user, totp_code

pytestmark = pytest.mark.django_db


def _user(client: Client):
    class _Req:
        session = client.session

    return get_user(_Req())


def test_the_admin_login_page_sends_organisers_to_allauth_with_next(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_the_admin_has_no_login_form_of_its_own(client: Client) -> None:
    organiser = make_organiser()
    add_totp(organiser)
    response = client.get("/admin/login/")
    assert response.status_code == 302 and b"password" not in response.content
    response = client.post(
        "/admin/login/", {"username": organiser.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _user(client).is_authenticated


def test_an_unsafe_next_is_replaced_by_the_admin_index(client: Client) -> None:
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_a_signed_in_supporter_is_refused_by_the_admin(client: Client) -> None:
    client.force_login(make_user())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_an_organiser_without_totp_is_sent_to_set_it_up(client: Client) -> None:
    client.force_login(make_organiser())
    response = client.get("/admin/quitgpt/auditentry/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2Fquitgpt%2Fauditentry%2F"


def test_an_organiser_who_did_not_use_totp_this_session_is_asked_for_a_code(client: Client) -> None:
    organiser = make_organiser()
    secret = add_totp(organiser)
    client.force_login(organiser)  # e.g. signed in before setting up TOTP
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"
    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_organiser_signs_in_with_password_then_totp_and_reaches_the_admin(client: Client) -> None:
    organiser = make_organiser()
    secret = add_totp(organiser)
    response = client.post("/accounts/login/?next=/admin/", {"login": organiser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert not _user(client).is_authenticated  # the password alone does not sign in
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_totp_code_does_not_sign_in(client: Client) -> None:
    organiser = make_organiser()
    secret = add_totp(organiser)
    client.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert not _user(client).is_authenticated
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_stands_in_for_a_lost_authenticator(client: Client) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    organiser = make_organiser()
    add_totp(organiser)
    codes = RecoveryCodes.activate(organiser).get_unused_codes()
    client.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert client.get("/admin/").status_code == 200


def test_an_organiser_sets_up_totp_with_recovery_codes_and_then_reaches_the_admin(client: Client) -> None:
    organiser = make_organiser()
    client.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    setup = client.get("/admin/")
    assert setup["Location"].startswith("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before changing the account's security.
    reauth = client.get(setup["Location"])
    assert reauth["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(reauth["Location"], {"password": PASSWORD})
    assert response["Location"] == setup["Location"]
    page = client.get(setup["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, allowed by img-src data:
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) or re.search(
        r'value="([A-Z2-7]{32})"', html
    )
    assert secret
    response = client.post(setup["Location"], {"code": totp_code(secret.group(1))})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    kinds = set(Authenticator.objects.filter(user=organiser).values_list("type", flat=True))
    assert kinds == {"totp", "recovery_codes"}
    # Setting TOTP up is not signing in with it: the next admin page asks for a (fresh) code.
    response = client.get("/admin/")
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        response = client.post(response["Location"], {"code": totp_code(secret.group(1))})
        assert client.get("/admin/").status_code == 200


def test_an_idle_organiser_is_signed_out_after_30_minutes(client: Client, mfa_login) -> None:
    organiser = make_organiser()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        mfa_login(client, organiser)
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200  # activity restarts the clock
        clock.shift(timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert not _user(client).is_authenticated


def test_the_idle_timeout_applies_on_every_page_not_only_the_admin(client: Client, mfa_login) -> None:
    organiser = make_organiser()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        mfa_login(client, organiser)
        client.get("/accounts/")
        clock.shift(timedelta(minutes=31))
        assert client.get("/accounts/").status_code == 302
        assert not _user(client).is_authenticated


def test_a_supporter_is_not_signed_out_after_30_idle_minutes(client: Client) -> None:
    supporter = make_user()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(supporter)
        assert client.get("/accounts/").status_code == 200
        clock.shift(timedelta(hours=5))
        assert client.get("/accounts/").status_code == 200


def test_the_staff_session_cookie_expires_with_the_idle_timeout(client: Client, mfa_login) -> None:
    mfa_login(client, make_organiser())
    response = client.get("/admin/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_a_signed_in_organiser_gets_the_503_page_when_the_database_is_down(
    client: Client, mfa_login, break_database
) -> None:
    mfa_login(client, make_organiser())
    break_database()
    response = client.get("/admin/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_an_organiser_signing_in_by_emailed_code_still_needs_totp_for_the_admin(client: Client) -> None:
    from django.core import mail

    from tests.accounts.helpers import code_from_mail

    organiser = make_organiser()
    secret = add_totp(organiser)
    response = client.post("/accounts/login/code/", {"email": organiser.email})
    assert response.status_code == 302
    response = client.post("/accounts/login/code/confirm/", {"code": code_from_mail(mail.outbox[-1])})
    # The emailed code is one factor: allauth asks for the TOTP code before signing the organiser in.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert not _user(client).is_authenticated
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
