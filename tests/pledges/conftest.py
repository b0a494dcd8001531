"""Factories and helpers for the pledges tests."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from tests.factories import make_pledge  # noqa: F401  (re-exported: the one factory lives there)

FORM = {
    "kinds": ["cancelled"],
    "email": "jane@example.org",
    "first_name": "Jane",
    "country": "FR",
    "message": "",
    "ref": "",
    "website": "",
}


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
