"""Retention: unconfirmed pledges go after 7 days; at the end, personal data goes and counts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pledges.models import Pledge, Supporter
from pledges.services import pledges_purge_pending
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db


def test_pending_pledges_are_purged_after_seven_days() -> None:
    now = timezone.now()
    old = make_pledge(email="old@example.org", requested_at=now - timedelta(days=7, minutes=1))
    fresh = make_pledge(email="fresh@example.org", requested_at=now - timedelta(days=6))
    kept = make_pledge(email="kept@example.org", status="confirmed", requested_at=now - timedelta(days=30))
    Supporter.objects.update(tally_dirty=False)
    assert pledges_purge_pending() == 1
    assert set(Pledge.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}
    old_supporter = Supporter.objects.get(pk=old.supporter_id)
    assert old_supporter.email_normalised == f"erased-{old_supporter.pk}" and old_supporter.tally_dirty


def test_purging_keeps_the_supporter_of_a_confirmed_kind() -> None:
    now = timezone.now()
    make_pledge(email="both@example.org", status="confirmed", kind="cancelled")
    make_pledge(email="both@example.org", kind="shared", requested_at=now - timedelta(days=8))
    call_command("purge_pending_pledges")
    assert Supporter.objects.get().email_normalised == "both@example.org"
    assert Pledge.objects.get().kind == "cancelled"


def test_signing_again_after_withdrawing_starts_a_fresh_seven_days(sign) -> None:
    pledge = make_pledge(email="jane@example.org", status="withdrawn", withdrawn_at=timezone.now())
    Pledge.objects.filter(pk=pledge.pk).update(requested_at=timezone.now() - timedelta(days=20))
    sign()
    pledge.refresh_from_db()
    assert pledge.status == "pending"
    assert pledges_purge_pending() == 0


def test_anonymising_at_the_end_erases_personal_data_and_keeps_every_count() -> None:
    make_pledge(email="a@example.org", status="confirmed", kind="cancelled", country="DE", message="hi")
    make_pledge(email="a@example.org", status="confirmed", kind="shared", country="DE")
    make_pledge(email="b@example.org", status="confirmed", country="FR", first_name="Bea", ip_hash="f" * 64)
    make_pledge(email="c@example.org", status="withdrawn")
    columns = ("supporter_id", "kind", "status", "supporter__country", "confirmed_at")
    before = sorted(Pledge.objects.values_list(*columns))
    counted = Pledge.objects.counted().values("supporter_id").distinct().count()
    with pytest.raises(CommandError):
        call_command("anonymise_pledges")
    call_command("anonymise_pledges", "--yes")
    after = sorted(Pledge.objects.values_list(*columns))
    assert after == before
    assert Pledge.objects.counted().values("supporter_id").distinct().count() == counted == 2
    for row in Pledge.objects.values():
        assert row["email"] == row["ip_hash"] == ""
        assert "@" not in row["email_normalised"]
    for row in Supporter.objects.values():
        assert row["first_name"] == row["message"] == "" and "@" not in row["email_normalised"]
        assert not (row["wall_consent"] or row["updates_consent"] or row["message_approved"])
    assert Supporter.objects.filter(tally_dirty=True).count() == Supporter.objects.count()


def test_the_sweep_and_the_purge_are_scheduled_on_registered_tasks() -> None:
    from quitgpt.celery import app

    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["quitgpt.tasks.sweep_owed_emails"] <= 60  # every owner's owed emails, pledges included
    assert schedule["pledges.tasks.purge_pending_pledges"] <= 3600
    for name in ("quitgpt.tasks.sweep_owed_emails", "pledges.tasks.purge_pending_pledges"):
        assert name in app.tasks
