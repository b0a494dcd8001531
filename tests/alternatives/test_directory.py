"""The public directory: filters in the query string, done on the server, and the avoid section."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from alternatives.models import ATTRIBUTE_NAMES, Category, Stance

pytestmark = pytest.mark.django_db


def listed_names(response) -> list[str]:
    """Names of the cards in the main list (not the avoid section), in page order."""
    html = response.content.decode()
    main = html.split('id="alt-avoid-heading"')[0]
    return re.findall(r'<h3 id="alt-[^"]+"><a href="[^"]+">([^<]+)</a>', main)


def avoid_names(response) -> list[str]:
    html = response.content.decode()
    if 'id="alt-avoid-heading"' not in html:
        return []
    section = html.split('id="alt-avoid-heading"')[1]
    return re.findall(r'<h3 id="alt-[^"]+"><a href="[^"]+">([^<]+)</a>', section)


@pytest.fixture
def directory(empty_directory, make_alternative) -> None:
    make_alternative(name="Privy", category=Category.PRIVACY, eu_based=True, end_to_end_encrypted=True)
    make_alternative(name="Freeware", category=Category.OPEN_SOURCE, open_source=True, self_hostable=True)
    make_alternative(
        name="BigCo", category=Category.MAINSTREAM, free_tier=True, mobile_apps=True, eu_based=False
    )
    make_alternative(name="Careful", category=Category.PRIVACY, no_training_on_chats=True, free_tier=None)
    make_alternative(name="Hidden", category=Category.PRIVACY, eu_based=True, published=False)
    make_alternative(
        name="Shunned",
        category=Category.MAINSTREAM,
        stance=Stance.AVOID,
        reason_en="Campaign reason.",
        reason_fr="Raison de la campagne.",
        free_tier=True,
    )


def test_it_lists_published_entries_in_order_and_keeps_the_avoided_apart(client: Client, directory) -> None:
    response = client.get("/alternatives/")
    assert response.status_code == 200
    assert listed_names(response) == ["Privy", "Freeware", "BigCo", "Careful"]
    assert avoid_names(response) == ["Shunned"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=privacy", ["Privy", "Careful"]),
        ("category=open_source", ["Freeware"]),
        ("category=mainstream", ["BigCo"]),
        ("category=privacy&category=mainstream", ["Privy", "BigCo", "Careful"]),
        ("attr=open_source", ["Freeware"]),
        ("attr=end_to_end_encrypted", ["Privy"]),
        ("attr=no_training_on_chats", ["Careful"]),
        ("attr=eu_based", ["Privy"]),
        ("attr=free_tier", ["BigCo"]),
        ("attr=mobile_apps", ["BigCo"]),
        ("attr=self_hostable", ["Freeware"]),
        ("attr=open_source&attr=self_hostable", ["Freeware"]),
        ("attr=open_source&attr=eu_based", []),
        ("category=privacy&attr=eu_based", ["Privy"]),
    ],
)
def test_each_filter_keeps_only_the_matching_entries(client: Client, directory, query: str, expected) -> None:
    response = client.get(f"/alternatives/?{query}")
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_every_attribute_has_a_filter_on_the_page(client: Client, directory) -> None:
    html = client.get("/alternatives/").content.decode()
    for name in ATTRIBUTE_NAMES:
        assert f'name="attr" value="{name}"' in html
    for value in Category.values:
        assert f'name="category" value="{value}"' in html


def test_a_filter_matches_only_a_checked_yes_never_an_unknown(client: Client, directory) -> None:
    # "Careful" has free_tier unknown (None) and BigCo an explicit "no" for EU: neither matches.
    assert "Careful" not in listed_names(client.get("/alternatives/?attr=free_tier"))
    assert "BigCo" not in listed_names(client.get("/alternatives/?attr=eu_based"))


def test_the_ticked_filters_stay_ticked_so_the_url_can_be_shared(client: Client, directory) -> None:
    html = client.get("/alternatives/?category=privacy&attr=eu_based").content.decode()
    assert 'name="category" value="privacy" checked' in html
    assert 'name="attr" value="eu_based" checked' in html
    assert 'name="category" value="mainstream" checked' not in html
    assert 'href="/alternatives/">Clear filters' in html


def test_unknown_or_mangled_filter_values_are_ignored_not_an_error(client: Client, directory) -> None:
    # (A NUL byte is refused before any page with a clear 400: tests/quitgpt/test_hostile_input.py.)
    response = client.get("/alternatives/?category=nope&attr=__class__&attr=&category=%20")
    assert response.status_code == 200
    assert listed_names(response) == ["Privy", "Freeware", "BigCo", "Careful"]


def test_the_avoid_section_shows_its_reason_whatever_the_filters(client: Client, directory) -> None:
    response = client.get("/alternatives/?category=open_source&attr=self_hostable")
    assert avoid_names(response) == ["Shunned"]
    html = response.content.decode()
    assert "To avoid" in html
    assert "Campaign reason." in html
    french = client.get("/fr/alternatives/").content.decode()
    assert "Raison de la campagne." in french
    assert "À éviter" in french


def test_the_seeded_directory_recommends_five_and_flags_grok(client: Client, seeded) -> None:
    response = client.get("/alternatives/")
    assert listed_names(response) == ["Confer", "Alpine", "Lumo", "Google Gemini", "Claude"]
    assert avoid_names(response) == ["Grok"]
    html = response.content.decode()
    assert "The QuitGPT campaign advises against Grok, the chatbot built into X." in html
    assert "Details still being checked." in html


def test_an_unverified_entry_says_its_details_are_being_checked(client: Client, make_alternative) -> None:
    entry = make_alternative(name="Unsure", needs_review=True)
    assert "Details still being checked" in client.get(f"/alternatives/{entry.slug}/").content.decode()
    sure = make_alternative(name="Sure", needs_review=False)
    assert "Details still being checked" not in client.get(f"/alternatives/{sure.slug}/").content.decode()


def test_the_pages_set_no_cookie_and_are_publicly_cacheable(client: Client, directory) -> None:
    for path in [
        "/alternatives/",
        "/alternatives/?attr=eu_based",
        "/alternatives/compare/",
        "/alternatives/how-to-switch/",
        "/alternatives/suggest/",
        "/fr/alternatives/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, path
        assert "public" in response["Cache-Control"], path
        assert "csrfmiddlewaretoken" not in response.content.decode(), path


def test_the_directory_page_needs_few_queries(
    client: Client, directory, make_alternative, django_assert_max_num_queries
) -> None:
    for _ in range(20):
        make_alternative(category=Category.PRIVACY, eu_based=True)
    client.get("/privacy/")  # the header counter's snapshot is cached from the first page on
    with django_assert_max_num_queries(2):
        response = client.get("/alternatives/?category=privacy&attr=eu_based")
    assert len(listed_names(response)) == 21


def test_each_alternative_has_its_own_page(client: Client, make_alternative) -> None:
    entry = make_alternative(
        name="Solo",
        maker="Solo Ltd",
        website="https://solo.example",
        body_en="First paragraph.\n\nSecond <b>one</b>.",
        body_fr="Premier paragraphe.",
        open_source=True,
        eu_based=False,
    )
    response = client.get(f"/alternatives/{entry.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Solo</h1>" in html
    assert "Solo Ltd" in html and 'href="https://solo.example"' in html
    assert "Second &lt;b&gt;one&lt;/b&gt;." in html  # organisers' text is escaped
    assert "Not checked yet" in html  # the attributes left unknown
    assert "Premier paragraphe." in client.get(f"/fr/alternatives/{entry.slug}/").content.decode()


def test_an_unpublished_or_unknown_alternative_is_a_404(client: Client, make_alternative) -> None:
    hidden = make_alternative(published=False)
    assert client.get(f"/alternatives/{hidden.slug}/").status_code == 404
    assert client.get("/alternatives/no-such-thing/").status_code == 404


def test_the_avoid_page_shows_the_campaigns_reason(client: Client, seeded) -> None:
    html = client.get("/alternatives/grok/").content.decode()
    assert "Why the campaign advises against it" in html
    assert "The QuitGPT campaign advises against Grok, the chatbot built into X." in html


def test_the_comparison_table_is_accessible_and_lists_all_by_default(client: Client, directory) -> None:
    response = client.get("/alternatives/compare/")
    html = response.content.decode()
    assert "<caption" in html
    headers = re.findall(r'<th scope="col"><a href="[^"]+">([^<]+)</a></th>', html)
    assert headers == ["Privy", "Freeware", "BigCo", "Careful", "Shunned"]
    assert html.count('<th scope="row">') == 3 + len(ATTRIBUTE_NAMES) + 1


def test_the_comparison_can_be_narrowed_by_slug(client: Client, empty_directory, make_alternative) -> None:
    a = make_alternative(name="A", open_source=True)
    make_alternative(name="B")
    c = make_alternative(name="C", open_source=False)
    response = client.get(f"/alternatives/compare/?slug={c.slug}&slug={a.slug}&slug=missing")
    html = response.content.decode()
    assert re.findall(r'<th scope="col"><a href="[^"]+">([^<]+)</a></th>', html) == ["A", "C"]
    # The chooser keeps the choice and offers the rest.
    assert f'value="{a.slug}" checked' in html and 'value="alt-' in html


def test_the_comparison_of_nothing_known_says_so(client: Client) -> None:
    response = client.get("/alternatives/compare/?slug=nope")
    assert response.status_code == 200
    assert "None of these alternatives is in the directory." in response.content.decode()


def test_the_switch_guide_covers_web_ios_android_export_and_the_pledge(client: Client) -> None:
    response = client.get("/alternatives/how-to-switch/")
    html = response.content.decode()
    for anchor in ('id="cancel-web"', 'id="cancel-ios"', 'id="cancel-android"', 'id="export"', 'id="pledge"'):
        assert anchor in html
    assert "Payments & subscriptions" in html
    assert "Data controls" in html
    assert 'href="/pledge/"' in html
    assert 'href="/fr/pledge/"' in client.get("/fr/alternatives/how-to-switch/").content.decode()


def test_the_detail_and_comparison_pages_need_few_queries(
    client: Client, make_alternative, django_assert_max_num_queries
) -> None:
    entries = [make_alternative() for _ in range(15)]
    client.get("/privacy/")  # the header counter's snapshot is cached from the first page on
    with django_assert_max_num_queries(1):
        assert client.get(f"/alternatives/{entries[0].slug}/").status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get("/alternatives/compare/").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(f"/alternatives/compare/?slug={entries[1].slug}").status_code == 200


def test_a_flood_of_slugs_in_the_comparison_is_capped(
    client: Client, empty_directory, make_alternative
) -> None:
    entries = [make_alternative() for _ in range(15)]
    query = "&".join(f"slug={e.slug}" for e in entries)
    html = client.get(f"/alternatives/compare/?{query}").content.decode()
    assert html.count('<th scope="col">') == 12
