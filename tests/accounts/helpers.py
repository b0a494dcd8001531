"""Small factories for accounts tests."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ROLES

PASSWORD = "correct horse battery staple"
CODE_RE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)


def make_user(email: str = "sam@example.org", *, staff: bool = False, password: str | None = None, **extra):
    """A user whose address is verified (as after a code sign-up); no password unless given."""
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=password, is_staff=staff, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


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
