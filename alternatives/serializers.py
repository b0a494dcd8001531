"""The directory as JSON for `/api/alternatives`. Key names are public: add freely, rename never."""

from __future__ import annotations

from collections.abc import Iterable

from alternatives.models import ATTRIBUTE_NAMES, Alternative
from quitgpt import figures


def alternative_json(alternative: Alternative, switched: dict[str, int] | None = None) -> dict:
    return {
        "name": alternative.name,
        "slug": alternative.slug,
        "maker": alternative.maker,
        "website": alternative.website,
        "category": alternative.category or None,
        "stance": alternative.stance,
        "summary": {"en": alternative.summary_en, "fr": alternative.summary_fr},
        "body": {"en": alternative.body_en, "fr": alternative.body_fr},
        "reason": {"en": alternative.reason_en, "fr": alternative.reason_fr},
        # true, false, or null when not checked yet.
        "attributes": {name: getattr(alternative, name) for name in ATTRIBUTE_NAMES},
        "needs_review": alternative.needs_review,
        "last_reviewed": alternative.last_reviewed.isoformat() if alternative.last_reviewed else None,
        "order": alternative.order,
        "updated_at": alternative.updated_at.isoformat(),
        # Counted supporters who say they switched to it (the headline's rules), from the published tally.
        "switched": (switched or {}).get(alternative.slug, 0),
    }


def directory_json(alternatives: Iterable[Alternative]) -> dict:
    switched = figures.get("alternatives.switched")  # provided by the campaign tools (campaign/apps.py)
    return {"alternatives": [alternative_json(a, switched) for a in alternatives]}
