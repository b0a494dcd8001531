"""Small factories for accounts tests."""

from __future__ import annotations

import re

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group

from accounts.roles import ROLES
from tests.factories import make_user

PASSWORD = "correct horse battery staple"
CODE_RE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)


def make_organiser(email: str = "olga@example.org", *, role: str | None = None, **extra):
    user = make_user(email, staff=True, password=PASSWORD, **extra)
    if role is not None:
        assert role in ROLES
        user.groups.add(Group.objects.get(name=role))
    return user


def add_totp(user) -> str:
    """Give the user a TOTP authenticator through allauth's API; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset: periods later, for a second code)."""
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def code_from_mail(message) -> str:
    match = CODE_RE.search(message.body)
    assert match, message.body
    return match.group(1)
