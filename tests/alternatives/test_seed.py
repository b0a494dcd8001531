"""The data migration puts in the campaign's list, and nothing it cannot vouch for."""

from __future__ import annotations

import pytest

from alternatives.models import ATTRIBUTE_NAMES, Alternative, Stance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_it_seeds_the_campaigns_recommendations_and_grok_to_avoid() -> None:
    stances = dict(Alternative.objects.values_list("slug", "stance"))
    assert stances == {
        "confer": Stance.RECOMMENDED,
        "alpine": Stance.RECOMMENDED,
        "lumo": Stance.RECOMMENDED,
        "gemini": Stance.RECOMMENDED,
        "claude": Stance.RECOMMENDED,
        "grok": Stance.AVOID,
    }
    assert list(Alternative.objects.published().values_list("slug", flat=True)) == [
        "confer",
        "alpine",
        "lumo",
        "gemini",
        "claude",
        "grok",
    ]


def test_grok_carries_the_campaigns_reason_in_both_languages() -> None:
    grok = Alternative.objects.get(slug="grok")
    assert grok.reason_en.startswith("Grok is made by xAI")  # concrete, not "the campaign advises against"
    assert "advises against" not in grok.reason_en
    assert grok.reason_fr.startswith("Grok est fait par xAI")
    assert grok.maker == "xAI"


def test_unverified_details_are_left_empty_and_flagged() -> None:
    for slug in ("confer", "alpine"):
        entry = Alternative.objects.get(slug=slug)
        assert (entry.maker, entry.website, entry.category, entry.summary_en) == ("", "", "", "")
        assert all(getattr(entry, name) is None for name in ATTRIBUTE_NAMES)
    # Nothing seeded is presented as verified until an organiser reviews it.
    assert not Alternative.objects.filter(needs_review=False).exists()
    assert not Alternative.objects.filter(last_reviewed__isnull=False).exists()


def test_lumo_is_not_marked_eu_based_because_switzerland_is_not_in_the_eu() -> None:
    lumo = Alternative.objects.get(slug="lumo")
    assert lumo.maker == "Proton AG"
    assert lumo.eu_based is False


def test_each_seeded_entry_starts_its_history() -> None:
    for entry in Alternative.objects.all():
        first = entry.history.earliest()
        assert first.history_type == "+"
        assert first.history_change_reason == "Seeded from the campaign's own list"
