"""Helpers for the campaign tools' tests: a supporter's real path (sign through the form, confirm through
the emailed link), and a campaign admin signed in with MFA."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from pledges.models import Pledge
from pledges.services import pledge_send_email
from tests.pledges.conftest import FORM, link_in
from tests.pledges.conftest import outbox as outbox  # the fixture, for these tests too


@pytest.fixture
def join(client: Client, django_capture_on_commit_callbacks, outbox) -> Callable:
    """Sign through the form and confirm through the emailed link, as a person does; returns the
    confirmed pledge and the thank-you page's address (which carries the manage token)."""

    def _join(email: str, *, ip: str = "192.0.2.10", kinds=("cancelled",), path: str = "/pledge/", **extra):
        before = len(outbox)
        data = {**FORM, "email": email, "kinds": list(kinds), **extra}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, data, HTTP_SEC_FETCH_SITE="same-origin", REMOTE_ADDR=ip)
        assert response.status_code == 303, response.content[:500]
        if len(outbox) == before:
            # Over the client's immediate mail budget (many people behind one address): the email is
            # owed, and the sweep sends it (pledges.signing, at a bounded rate per client).
            owed = Pledge.objects.filter(email=email).exclude(email_owed="").order_by("pk").first()
            assert owed is not None, "the confirmation email is owed"
            pledge_send_email(pledge_id=owed.pk)
        assert len(outbox) == before + 1, "one confirmation email"
        confirm_path = link_in(outbox[-1], "confirm")
        done = client.post(confirm_path, {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin")
        assert done.status_code == 302
        pledge = Pledge.objects.filter(email=email).order_by("pk").first()
        return pledge, done["Location"]

    return _join


@pytest.fixture
def campaign_admin(db, django_user_model):
    from accounts.roles import CAMPAIGN_ADMIN, roles_sync

    roles_sync()
    user = django_user_model.objects.create_user(
        username="carol", email="carol@campaign.example", password="x" * 16, is_staff=True
    )
    user.groups.add(Group.objects.get(name=CAMPAIGN_ADMIN))
    return user


@pytest.fixture
def campaign_admin_client(campaign_admin, mfa_login) -> Client:
    client = Client()
    mfa_login(client, campaign_admin)
    return client
