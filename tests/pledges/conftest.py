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
from pledges.normalise import normalise_email
from pledges.services import _new_manage_fields

FORM = {
    "kinds": ["cancelled"],
    "email": "jane@example.org",
    "first_name": "Jane",
    "country": "FR",
    "message": "",
    "ref": "",
    "website": "",
}


PERSON_FIELDS = (
    "first_name",
    "country",
    "message",
    "message_approved",
    "wall_consent",
    "updates_consent",
    "language",
)


def make_pledge(**kwargs) -> Pledge:
    """A pledge row (and its supporter) written directly, for tests that start from a given state.

    The person's details (first name, country, message, consents, language) go on the supporter."""
    kwargs.setdefault("email", f"p{secrets.token_hex(4)}@example.org")
    kwargs.setdefault("kind", "cancelled")
    kwargs.setdefault("status", "pending")
    person = {name: kwargs.pop(name) for name in PERSON_FIELDS if name in kwargs}
    kwargs.setdefault("share_code", secrets.token_urlsafe(9))
    if kwargs["status"] == "confirmed":
        kwargs.setdefault("confirmed_at", timezone.now())
    normalised = normalise_email(kwargs["email"])
    kwargs.setdefault("email_normalised", normalised)
    created = False
    if "supporter" not in kwargs:
        kwargs["supporter"], created = Supporter.objects.get_or_create(
            email_normalised=normalised, defaults=_new_manage_fields()
        )
    if created:  # a new person: these defaults, unless given
        person = {"country": "FR", "first_name": "Sam", **person}
    if person:
        Supporter.objects.filter(pk=kwargs["supporter"].pk).update(**person)
        for name, value in person.items():
            setattr(kwargs["supporter"], name, value)
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
