"""The one set of factories for every test module (djangoproject.com's `make_x(**kwargs)` with setdefault).

`make_pledge` writes a pledge row and its supporter directly, as a given starting state, and marks the
supporter dirty for the tally engine exactly as the pledges services do (the change and the flag in one
transaction). Tests that are about *signing* go through the form or the services instead.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, Supporter

# The person's details live on the supporter: given to make_pledge, they are set there.
PERSON_FIELDS = (
    "first_name",
    "country",
    "message",
    "message_approved",
    "wall_consent",
    "updates_consent",
    "language",
)


def make_pledge(email: str | None = None, kind: str = "cancelled", **fields) -> Pledge:
    """A pledge (pending unless `status` says otherwise) of `email` (a fresh address unless given).

    The person's details (`PERSON_FIELDS`) go on the supporter: a new one gets country FR and first name
    Sam unless given; an existing one changes only what is given."""
    from pledges.services import _new_manage_fields
    from quitgpt.emails import normalise_email

    email = email if email is not None else f"p{secrets.token_hex(4)}@example.org"
    person = {name: fields.pop(name) for name in PERSON_FIELDS if name in fields}
    fields.setdefault("status", PledgeStatus.PENDING)
    fields.setdefault("share_code", secrets.token_urlsafe(9))
    if fields["status"] == PledgeStatus.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    normalised = fields.pop("email_normalised", None) or normalise_email(email)
    with transaction.atomic():
        supporter = fields.pop("supporter", None)
        created = False
        if supporter is None:
            supporter, created = Supporter.objects.get_or_create(
                email_normalised=normalised, defaults=_new_manage_fields()
            )
        if created:
            person = {"country": "FR", "first_name": "Sam", **person}
        if person:
            Supporter.objects.filter(pk=supporter.pk).update(**person)
            for name, value in person.items():
                setattr(supporter, name, value)
        pledge = Pledge.objects.create(
            supporter=supporter, kind=kind, email=email, email_normalised=normalised, **fields
        )
        Supporter.objects.filter(pk=supporter.pk).update(tally_dirty=True)
    return pledge


def make_user(email: str = "sam@example.org", *, staff: bool = False, password: str | None = None, **extra):
    """A user whose address is verified (as after a code sign-up); no password unless given."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    extra.setdefault("username", email.split("@")[0])
    user = get_user_model().objects.create_user(email=email, password=password, is_staff=staff, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user
