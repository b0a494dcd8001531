"""Reads about accounts: organisers' MFA state."""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

# The authenticator types that count as a second factor for organisers.
MFA_TYPES = {Authenticator.Type.TOTP.value, Authenticator.Type.RECOVERY_CODES.value}


def staff_has_totp(*, user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_used_mfa_this_session(*, request: HttpRequest, user: Any) -> bool:
    """Whether allauth recorded, in this session, a sign-in step with a TOTP or recovery code."""
    return any(
        record.get("method") == "mfa" and record.get("type") in MFA_TYPES
        for record in get_authentication_records(request, user)
    )
