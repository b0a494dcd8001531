"""The headline wherever it travels says which part is reported rather than confirmed here, and
organisers choose (audited) whether unverified reported tallies are in it at all."""

from __future__ import annotations

import pytest
from django.test import Client

from quitgpt.models import AuditEntry
from tally.models import HeadlineSettings, ReportedTally
from tally.selectors import tally_current
from tally.services import tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = pytest.mark.django_db

NOTE_EN = "including 300 reported by organisers, not confirmed by email here"
NOTE_FR = "dont 300 signalés par les organisateurs, non confirmés par e-mail ici"


@pytest.fixture
def headline() -> None:
    for i in range(5):
        confirm(make_pledge(f"p{i}@example.org"))
    ReportedTally.objects.create(source="Unchecked claim", count=300, date="2026-03-01")
    ReportedTally.objects.create(source="Checked count", count=40, date="2026-03-02", verified=True)
    tally_recompute()


def test_every_place_the_total_travels_labels_its_reported_part_in_english_and_french(
    client: Client, headline
) -> None:
    ReportedTally.objects.filter(verified=True).delete()
    tally_recompute()
    home = client.get("/").content.decode()
    assert NOTE_EN in home  # the counter
    assert "incl. 300 reported, unconfirmed" in home  # the header
    assert NOTE_FR in client.get("/fr/").content.decode()
    assert NOTE_EN in client.get("/embed/counter/").content.decode()
    assert NOTE_FR in client.get("/embed/counter/?lang=fr").content.decode()
    assert "incl. 300 reported, unconfirmed" in client.get("/badge.svg").content.decode()
    assert "dont 300 signalés, non confirmés" in client.get("/badge.svg?lang=fr").content.decode()
    api = client.get("/api/tally").json()
    assert api["reported_note_i18n"] == {"en": NOTE_EN, "fr": NOTE_FR}
    with_reported = client.get("/og.png").content
    ReportedTally.objects.all().delete()
    tally_recompute()
    assert client.get("/og.png").content != with_reported
    assert "reported" not in client.get("/badge.svg").content.decode()
    assert "not confirmed by email here" not in client.get("/").content.decode()


def test_an_organiser_can_leave_unverified_reported_tallies_out_of_the_headline(
    admin_client: Client, headline, django_capture_on_commit_callbacks
) -> None:
    assert tally_current()["total"] == 345
    assert admin_client.get("/admin/tally/headlinesettings/1/change/").status_code in (200, 302)
    HeadlineSettings.load()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/tally/headlinesettings/1/change/", {})  # unticked
    assert response.status_code == 302
    assert HeadlineSettings.load().include_unverified_reported is False
    entry = AuditEntry.objects.get(action="tally.headline_settings")
    assert entry.details == {"include_unverified_reported": False} and entry.actor.is_superuser
    current = tally_current()
    assert current["total"] == 45 and current["reported"] == 40
    unverified = next(s for s in current["by_source"] if s["source"] == "Unchecked claim")
    assert unverified["in_headline"] is False  # still listed, apart
    assert "Unchecked claim" in Client().get("/how-we-count/").content.decode()
