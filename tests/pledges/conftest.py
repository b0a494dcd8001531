"""Factories and helpers for the pledges tests."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from pledges.models import Pledge, Supporter
from pledges.services import _new_manage_fields
from quitgpt.emails import normalise_email

FORM = {
    "kinds": ["cancelled"],
    "email": "jane@example.org",
    "first_name": "Jane",
    "country": "FR",
    "message": "",
    "ref": "",
    "website": "",
}


def make_pledge(**kwargs) -> Pledge:
    """A pledge row (and its supporter) written directly, for tests that start from a given state."""
    kwargs.setdefault("email", f"p{secrets.token_hex(4)}@example.org")
    kwargs.setdefault("kind", "cancelled")
    kwargs.setdefault("country", "FR")
    kwargs.setdefault("first_name", "Sam")
    kwargs.setdefault("status", "pending")
    kwargs.setdefault("share_code", secrets.token_urlsafe(9))
    if kwargs["status"] == "confirmed":
        kwargs.setdefault("confirmed_at", timezone.now())
    normalised = normalise_email(kwargs["email"])
    kwargs.setdefault("email_normalised", normalised)
    if "supporter" not in kwargs:
        kwargs["supporter"], _ = Supporter.objects.get_or_create(
            email_normalised=normalised, defaults=_new_manage_fields()
        )
    return Pledge.objects.create(**kwargs)


@pytest.fixture
def sign(client: Client, django_capture_on_commit_callbacks) -> Callable:
    """Submit the pledge form as a browser on our own site would (tasks enqueued on commit run inline)."""

    def _sign(ip: str = "192.0.2.10", path: str = "/pledge/", **overrides):
        data = {**FORM, **overrides}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, HTTP_SEC_FETCH_SITE="same-origin", REMOTE_ADDR=ip)

    return _sign


def link_in(message, name: str) -> str:
    """The path of the first link to `name` (confirm, manage, thanks) in an email's text body."""
    body = message.body if hasattr(message, "body") else message
    match = re.search(rf"https?://[^/\s]+(/(?:fr/)?pledge/{name}/[^\s\"<]+)", body)
    assert match, f"no {name} link in:\n{body}"
    return match.group(1)


@pytest.fixture
def outbox() -> list:
    mail.outbox = []
    return mail.outbox
