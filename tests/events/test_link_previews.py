"""Link previews: an event page names the event, its local time and place in its Open Graph tags."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def meta(response, prop: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{prop}" content="([^"]*)">', response.content.decode())
    assert match, f"no {prop}"
    return html.unescape(match.group(1))


def test_the_event_page_sets_its_own_title_and_description(client) -> None:
    make_event(
        title="Sit-in at HQ",
        title_fr="Sit-in au siège",
        slug="sit-in",
        starts_at=datetime(2030, 1, 15, 13, 0, tzinfo=UTC),
        description="Bring a sign.\n\nAnd a friend.",
    )
    response = client.get("/events/sit-in/")
    assert meta(response, "og:title") == meta(response, "twitter:title") == "Sit-in at HQ"
    description = meta(response, "og:description")
    # 14:00 in Paris, where it happens; the place; the description on one line.
    assert "Tuesday 15 January 2030, 14:00 CET (Europe/Paris)" in description
    assert "Paris, France" in description
    assert description.endswith("Bring a sign. And a friend.")
    french = client.get("/fr/events/sit-in/")
    assert meta(french, "og:title") == "Sit-in au siège"
    assert "mardi 15 janvier 2030, 14:00 CET (Europe/Paris)" in meta(french, "og:description")


def test_a_long_description_is_cut_for_the_preview(client) -> None:
    make_event(slug="long", description="word " * 200)
    assert len(meta(client.get("/events/long/"), "og:description")) <= 200
