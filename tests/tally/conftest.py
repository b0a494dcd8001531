"""Helpers that change pledges exactly as the pledges services do: the change and the supporter's
`tally_dirty` flag, in one transaction."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from pledges.models import Pledge, PledgeStatus, Supporter
from tests.factories import make_pledge  # re-exported: the one factory lives there


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
