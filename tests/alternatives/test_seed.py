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


def test_nothing_seeded_is_presented_as_verified() -> None:
    # Every entry keeps the "details still being checked" notice until an organiser reviews it.
    assert not Alternative.objects.filter(needs_review=False).exists()
    # Only Confer carries a "last reviewed" date: the day its sources were checked (migration 0004).
    assert list(Alternative.objects.filter(last_reviewed__isnull=False).values_list("slug", flat=True)) == [
        "confer"
    ]


def test_confer_is_described_from_its_sources_in_both_languages() -> None:
    confer = Alternative.objects.get(slug="confer")
    assert (confer.maker, confer.website, confer.category) == (
        "Moxie Marlinspike",
        "https://confer.to",
        "privacy",
    )
    assert "Signal" in confer.summary_en and "Signal" in confer.summary_fr
    assert confer.end_to_end_encrypted is True and confer.open_source is True
    # What we could not source stays unknown, not guessed.
    assert confer.free_tier is None and confer.mobile_apps is None and confer.eu_based is None
    for body in (confer.body_en, confer.body_fr):
        assert "https://confer.to/blog/2026/01/private-inference/" in body
    assert (
        "Sources (checked 2 December 2026)" in confer.body_en
        and "Pricing and platforms: still being checked" in confer.body_en
    )
    assert "Sources (vérifiées le 2 décembre 2026)" in confer.body_fr


def test_alpine_says_only_what_is_established_and_that_the_rest_is_being_checked() -> None:
    alpine = Alternative.objects.get(slug="alpine")
    assert (alpine.maker, alpine.website, alpine.category) == ("", "", "")
    assert all(getattr(alpine, name) is None for name in ATTRIBUTE_NAMES)
    assert alpine.last_reviewed is None and alpine.needs_review
    assert "still being checked" in alpine.summary_en and "still being checked" in alpine.body_en
    assert "en cours de vérification" in alpine.summary_fr and "en cours de vérification" in alpine.body_fr


def _fill() -> None:
    """Run the migration's function with the models as the migration sees them (no history signals)."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    name = "0004_fill_confer_and_alpine"
    apps = MigrationExecutor(connection).loader.project_state(("alternatives", name)).apps
    import_module(f"alternatives.migrations.{name}").fill(apps, None)


def _empty_shell(slug: str) -> None:
    blank = {name: None for name in ATTRIBUTE_NAMES}
    Alternative.objects.filter(slug=slug).update(
        maker="",
        website="",
        summary_en="",
        summary_fr="",
        body_en="",
        body_fr="",
        category="",
        last_reviewed=None,
        **blank,
    )


def test_the_fill_migration_fills_an_entry_still_empty_and_records_it_in_its_history() -> None:
    _empty_shell("confer")
    _fill()
    confer = Alternative.objects.get(slug="confer")
    assert confer.maker == "Moxie Marlinspike" and confer.body_fr.startswith("Confer est un assistant")
    latest = confer.history.latest()
    assert latest.history_type == "~" and latest.maker == "Moxie Marlinspike"
    assert latest.history_change_reason.startswith("Filled in from public sources")


def test_the_fill_migration_never_overwrites_an_organisers_edit() -> None:
    _empty_shell("confer")
    _empty_shell("alpine")
    # An organiser started on each: one wrote a summary, the other only ticked a fact.
    Alternative.objects.filter(slug="confer").update(summary_en="Written by an organiser")
    Alternative.objects.filter(slug="alpine").update(free_tier=True)
    _fill()
    confer = Alternative.objects.get(slug="confer")
    alpine = Alternative.objects.get(slug="alpine")
    assert (confer.summary_en, confer.maker, confer.body_en, confer.last_reviewed) == (
        "Written by an organiser",
        "",
        "",
        None,
    )
    assert (alpine.summary_en, alpine.body_en, alpine.free_tier) == ("", "", True)


def test_the_fill_migration_run_twice_changes_nothing_more() -> None:
    _fill()
    before = list(Alternative.objects.order_by("slug").values())
    history = Alternative.history.count()
    _fill()
    assert list(Alternative.objects.order_by("slug").values()) == before
    assert Alternative.history.count() == history


def test_lumo_is_not_marked_eu_based_because_switzerland_is_not_in_the_eu() -> None:
    lumo = Alternative.objects.get(slug="lumo")
    assert lumo.maker == "Proton AG"
    assert lumo.eu_based is False


def test_each_seeded_entry_starts_its_history() -> None:
    for entry in Alternative.objects.all():
        first = entry.history.earliest()
        assert first.history_type == "+"
        assert first.history_change_reason == "Seeded from the campaign's own list"


def test_confers_page_shows_its_facts_and_links_its_sources(client) -> None:
    html = client.get("/alternatives/confer/").content.decode()
    assert "Moxie Marlinspike" in html and "Details still being checked" in html
    assert '<a href="https://confer.to/blog/2026/01/private-inference/"' in html
    french = client.get("/fr/alternatives/confer/").content.decode()
    assert "Confer est un assistant IA conversationnel" in french
