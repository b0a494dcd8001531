"""Link previews: an alternative's page names it in its Open Graph tags."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.django_db


def meta(response, prop: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{prop}" content="([^"]*)">', response.content.decode())
    assert match, f"no {prop}"
    return html.unescape(match.group(1))


def test_the_alternative_page_sets_its_own_title_and_description(client, make_alternative) -> None:
    make_alternative(
        name="Le Chat", slug="le-chat", summary_en="A French assistant.", summary_fr="Un assistant."
    )
    response = client.get("/alternatives/le-chat/")
    assert meta(response, "og:title") == "Le Chat"
    assert meta(response, "og:description") == meta(response, "twitter:description") == "A French assistant."
    assert meta(client.get("/fr/alternatives/le-chat/"), "og:description") == "Un assistant."


def test_an_entry_to_avoid_is_previewed_with_its_public_reason(client, make_alternative) -> None:
    make_alternative(name="Grokish", slug="grokish", stance="avoid", reason_en="Trains on your chats.")
    assert meta(client.get("/alternatives/grokish/"), "og:description") == "Trains on your chats."
