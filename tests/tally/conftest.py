"""Helpers that change pledges exactly as the pledges services do: the change and the supporter's
`tally_dirty` flag, in one transaction."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, Supporter

_codes = itertools.count(1)


def make_pledge(email: str, kind: str = "cancelled", **fields) -> Pledge:
    """A pledge (pending unless `status` says otherwise) and its supporter, marked dirty. A `country`
    is the person's: it is set on the supporter."""
    normalised = email.strip().lower()
    country = fields.pop("country", None)
    fields.setdefault("status", PledgeStatus.PENDING)
    if fields["status"] == PledgeStatus.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    with transaction.atomic():
        supporter, _created = Supporter.objects.get_or_create(email_normalised=normalised)
        if country is not None:
            Supporter.objects.filter(pk=supporter.pk).update(country=country)
        pledge = Pledge.objects.create(
            supporter=supporter,
            kind=kind,
            email=email,
            email_normalised=normalised,
            share_code=f"t{next(_codes)}",
            **fields,
        )
        Supporter.objects.filter(pk=supporter.pk).update(tally_dirty=True)
    return pledge


def change_pledge(pledge: Pledge, **fields) -> Pledge:
    """Update a pledge and mark its supporter dirty, as a service would."""
    if fields.get("status") == PledgeStatus.CONFIRMED and "confirmed_at" not in fields:
        fields["confirmed_at"] = pledge.confirmed_at or timezone.now()
    with transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(**fields)
        Supporter.objects.filter(pk=pledge.supporter_id).update(tally_dirty=True)
    pledge.refresh_from_db()
    return pledge


def confirm(pledge: Pledge, at: datetime | None = None) -> Pledge:
    return change_pledge(pledge, status=PledgeStatus.CONFIRMED, confirmed_at=at or timezone.now())


def true_people() -> int:
    """The headline's people, counted the slow obvious way, to check the engine against."""
    return Supporter.objects.filter(pledges__in=Pledge.objects.counted()).distinct().count()


@pytest.fixture
def pledge_factory():
    return make_pledge
