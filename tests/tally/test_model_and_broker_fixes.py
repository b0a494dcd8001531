"""Fixes from the renovation read: a recount row validates, a reported tally survives a dead broker."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tally.models import Recount, ReportedTally
from tally.services import reported_tally_save


@pytest.mark.django_db
def test_a_recount_row_passes_full_clean_and_says_whether_it_matched() -> None:
    recount = Recount(expected_people=3, found_people=3, drift=0)
    recount.full_clean()  # Model.clean was hidden by a property: TypeError
    assert recount.matched
    assert not Recount(expected_people=3, found_people=2, drift=-1, mismatched_buckets=1).matched


@pytest.mark.django_db(transaction=True)
def test_saving_a_reported_tally_while_the_broker_is_down_keeps_it_and_raises_nothing(broker_down) -> None:
    organiser = get_user_model().objects.create_user("org", "org@example.org", "pw", is_staff=True)
    reported = ReportedTally(
        source="Union survey", count=1200, date=timezone.localdate(), evidence_url="https://example.org/s"
    )
    saved = reported_tally_save(reported=reported, actor=organiser, reason="survey")
    assert ReportedTally.objects.filter(pk=saved.pk, count=1200).exists()
