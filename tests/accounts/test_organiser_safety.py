"""What one organiser can do to another, and what reaches an organiser's mailbox.

Personas: a campaign admin (camille), a moderator (maud) and a superuser (root)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.roles import CAMPAIGN_ADMIN, EDITOR, MODERATOR
from quitgpt.models import AuditEntry
from tally.models import Recount
from tests.accounts.helpers import make_organiser

pytestmark = pytest.mark.django_db

RECOUNTS = "/admin/tally/recount/"
USERS = "/admin/auth/user/"


@pytest.fixture
def camille(db):
    return make_organiser("camille@example.org", role=CAMPAIGN_ADMIN)


@pytest.fixture
def maud(db):
    return make_organiser("maud@example.org", role=MODERATOR)


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw")


def signed_in(user, mfa_login) -> Client:
    client = Client()
    mfa_login(client, user)
    return client


# --- the full recount -------------------------------------------------------------------------------------
def test_a_moderator_cannot_run_the_full_recount_nor_see_the_recounts(maud, mfa_login) -> None:
    client = signed_in(maud, mfa_login)
    assert client.get(RECOUNTS).status_code == 403
    response = client.post(RECOUNTS, {"action": "run_recount", "_selected_action": ["0"]})
    assert response.status_code == 403
    assert not Recount.objects.exists()


def test_the_campaign_admin_runs_the_full_recount(camille, mfa_login) -> None:
    client = signed_in(camille, mfa_login)
    assert client.get(RECOUNTS).status_code == 200
    response = client.post(RECOUNTS, {"action": "run_recount", "_selected_action": ["0"]}, follow=True)
    assert response.status_code == 200 and "Recount done: no drift." in response.content.decode()
    assert Recount.objects.count() == 1


# --- roles and superusers -----------------------------------------------------------------------------------
def test_a_campaign_admins_bulk_role_action_leaves_superusers_unchanged(camille, root, mfa_login) -> None:
    other = make_organiser("ed@example.org")
    client = signed_in(camille, mfa_login)
    response = client.post(
        USERS, {"action": "grant_editor", "_selected_action": [root.pk, other.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 superuser(s) left unchanged" in response.content.decode()
    assert not root.groups.exists()
    assert other.groups.filter(name=EDITOR).exists()
    assert list(AuditEntry.objects.filter(action="role.grant").values_list("target_id", flat=True)) == [
        str(other.pk)
    ]


def test_a_superuser_may_still_give_a_superuser_a_role(root, mfa_login) -> None:
    other_root = get_user_model().objects.create_superuser("root2", "root2@example.org", "pw")
    client = signed_in(root, mfa_login)
    client.post(USERS, {"action": "grant_editor", "_selected_action": [other_root.pk]})
    assert other_root.groups.filter(name=EDITOR).exists()


# --- passwords set by another organiser ---------------------------------------------------------------------
def test_setting_another_organisers_password_is_audited(camille, maud, mfa_login) -> None:
    client = signed_in(camille, mfa_login)
    url = reverse("admin:auth_user_password_change", args=[maud.pk])
    response = client.post(
        url,
        {
            "password1": "a new long passphrase 42",
            "password2": "a new long passphrase 42",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 302
    maud.refresh_from_db()
    assert maud.check_password("a new long passphrase 42")
    [entry] = AuditEntry.objects.filter(action="user.password_set")
    assert entry.actor == camille and entry.target_id == str(maud.pk) and entry.details == {"own": False}
    assert "passphrase" not in str(entry.details)


def test_a_refused_password_form_is_not_audited(camille, maud, mfa_login) -> None:
    client = signed_in(camille, mfa_login)
    url = reverse("admin:auth_user_password_change", args=[maud.pk])
    response = client.post(url, {"password1": "a", "password2": "b", "set_usable_password": "true"})
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="user.password_set").exists()


def test_a_campaign_admin_cannot_set_a_superusers_password(camille, root, mfa_login) -> None:
    client = signed_in(camille, mfa_login)
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    response = client.post(url, {"password1": "x" * 20, "password2": "x" * 20, "set_usable_password": "true"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password("pw")


# --- password-reset links ---------------------------------------------------------------------------
def test_the_password_reset_link_is_built_from_site_url_not_the_requests_host(
    maud, settings, mailoutbox
) -> None:
    settings.SITE_URL = "https://quitgpt.example"
    response = Client().post("/accounts/password/reset/", {"email": maud.email}, HTTP_HOST="localhost:8666")
    assert response.status_code == 302
    [message] = mailoutbox
    links = re.findall(r"https?://[^\s\"<>]+", message.body)
    reset = [link for link in links if "/password/reset/key/" in link]
    assert reset and all(
        link.startswith("https://quitgpt.example/accounts/password/reset/key/") for link in reset
    )
    assert "localhost:8666" not in message.body


def test_the_account_exists_notice_links_to_site_url_too(maud, settings, mailoutbox) -> None:
    settings.SITE_URL = "https://quitgpt.example"
    Client().post("/accounts/signup/", {"email": maud.email}, HTTP_HOST="localhost:8666")
    [message] = mailoutbox
    links = re.findall(r"https?://[^\s\"<>]+", message.body)
    assert links and all(link.startswith("https://quitgpt.example/") for link in links), links
