"""Demo data for `make run` (load_demo_data): the campaign's own claim as a reported tally, so that a
fresh site shows "1.5M+" with its breakdown. Idempotent. Not a migration: production starts with none."""

from __future__ import annotations

from datetime import date

from tally import services
from tally.models import ReportedTally

CAMPAIGN_SOURCE = "QuitGPT campaign announcement"
CAMPAIGN_SOURCE_FR = "Annonce de la campagne QuitGPT"
CAMPAIGN_NOTE_FR = (
    "Personnes ayant résilié ou annoncé leur résiliation, selon la campagne (plus de 1,5 million). "
    "Non vérifié ; date approximative (autour de la manifestation du 3 mars)."
)


def load() -> str:
    existing = ReportedTally.objects.filter(source=CAMPAIGN_SOURCE, note_fr="").first()
    if existing is not None:  # loaded before the French text existed
        ReportedTally.objects.filter(pk=existing.pk).update(
            source_fr=CAMPAIGN_SOURCE_FR, note_fr=CAMPAIGN_NOTE_FR
        )
    if not ReportedTally.objects.filter(source=CAMPAIGN_SOURCE).exists():
        services.reported_tally_save(
            reported=ReportedTally(
                source=CAMPAIGN_SOURCE,
                count=1_500_000,
                date=date(2026, 3, 1),
                # The figure is the campaign's claim; the exact day of the announcement is not on record
                # here, so the note says the date is approximate rather than pretend to know it.
                note=(
                    "People who cancelled or posted about cancelling, as claimed by the campaign (more than "
                    "1.5 million). Unverified; date approximate (around the 3 March protest)."
                ),
                source_fr=CAMPAIGN_SOURCE_FR,
                note_fr=CAMPAIGN_NOTE_FR,
                verified=False,
            ),
            actor=None,
            reason="demo data",
        )
    result = services.tally_recompute(wait=10)
    return f"reported tally loaded; tally recomputed ({result.changed} supporter(s) changed)"
