"""Reads about accounts: the verified mailboxes of a user (what links them to their pledges and RSVPs)
and organisers' MFA state."""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from quitgpt.emails import normalise_email

# The authenticator types that count as a second factor for organisers.
MFA_TYPES = {Authenticator.Type.TOTP.value, Authenticator.Type.RECOVERY_CODES.value}


def verified_mailboxes(*, user: Any) -> set[str]:
    """The normalised forms (quitgpt.emails) of the user's *verified* addresses: the one definition of
    "this person's mailboxes" used to find their pledges and RSVPs. An unverified address proves nothing
    (anyone can add one to their account), so it matches nothing."""
    if not getattr(user, "is_authenticated", False):
        return set()
    keys = set()
    for address in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True):
        try:
            keys.add(normalise_email(address))
        except ValueError:  # allauth validated it; an odd legacy row must not break the page
            continue
    return keys


def staff_has_totp(*, user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_used_mfa_this_session(*, request: HttpRequest, user: Any) -> bool:
    """Whether allauth recorded, in this session, a sign-in step with a TOTP or recovery code."""
    return any(
        record.get("method") == "mfa" and record.get("type") in MFA_TYPES
        for record in get_authentication_records(request, user)
    )
