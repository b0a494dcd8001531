from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from alternatives.models import ATTRIBUTE_NAMES, Stance

pytestmark = pytest.mark.django_db


def test_it_serves_the_published_directory_in_order_with_both_languages(
    client: Client, empty_directory, make_alternative
) -> None:
    make_alternative(name="Second", slug="second", order=2, open_source=True, eu_based=False)
    make_alternative(
        name="First",
        slug="first",
        order=1,
        stance=Stance.AVOID,
        reason_en="Reason.",
        reason_fr="Raison.",
        summary_fr="Résumé",
        last_reviewed=dt.date(2026, 3, 1),
    )
    make_alternative(name="Draft", published=False)
    response = client.get("/api/alternatives")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    entries = response.json()["alternatives"]
    assert [e["slug"] for e in entries] == ["first", "second"]
    first, second = entries
    assert first["stance"] == "avoid"
    assert first["reason"] == {"en": "Reason.", "fr": "Raison."}
    assert first["summary"]["fr"] == "Résumé"
    assert first["last_reviewed"] == "2026-03-01"
    assert second["last_reviewed"] is None
    assert set(second["attributes"]) == set(ATTRIBUTE_NAMES)
    assert second["attributes"]["open_source"] is True
    assert second["attributes"]["eu_based"] is False
    assert second["attributes"]["self_hostable"] is None


def test_it_is_cacheable_cookie_free_and_open_to_other_sites(client: Client) -> None:
    response = client.get("/api/alternatives")
    assert "public" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies


def test_it_answers_the_same_in_every_language(client: Client) -> None:
    assert (
        client.get("/api/alternatives", HTTP_ACCEPT_LANGUAGE="fr").json()
        == client.get("/api/alternatives").json()
    )
    assert client.get("/fr/api/alternatives").status_code == 404


def test_it_costs_one_query_however_long_the_directory(
    client: Client, empty_directory, make_alternative, django_assert_num_queries
) -> None:
    for _ in range(30):
        make_alternative()
    client.get("/api/alternatives")  # the published tally (for "switched") is then in the cache
    with django_assert_num_queries(1):
        response = client.get("/api/alternatives")
    assert len(response.json()["alternatives"]) == 30


def test_only_safe_methods_are_allowed(client: Client) -> None:
    assert client.post("/api/alternatives").status_code == 405
