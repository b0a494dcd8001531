"""A real browser ticks the filters and submits, with and without JavaScript."""

from __future__ import annotations

import pytest

from alternatives.models import Alternative, Category, Stance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory(db) -> None:
    Alternative.objects.all().delete()
    common = {"published": True, "needs_review": False}
    Alternative.objects.create(
        name="Privy", slug="privy", category=Category.PRIVACY, eu_based=True, order=1, **common
    )
    Alternative.objects.create(
        name="Freeware", slug="freeware", category=Category.OPEN_SOURCE, open_source=True, order=2, **common
    )
    Alternative.objects.create(
        name="BigCo", slug="bigco", category=Category.MAINSTREAM, free_tier=True, order=3, **common
    )
    Alternative.objects.create(
        name="Shunned", slug="shunned", stance=Stance.AVOID, reason_en="Campaign reason.", order=4, **common
    )


def card_names(page) -> list[str]:
    return page.locator("section[aria-labelledby='alt-listed'] h3").all_inner_texts()


def tick_and_apply(page, base: str) -> None:
    page.goto(base + "/alternatives/")
    assert card_names(page) == ["Privy", "Freeware", "BigCo"]
    page.get_by_role("checkbox", name="Privacy-focused").check()
    page.get_by_role("checkbox", name="Open source", exact=True).last.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/alternatives/?*")
    assert "category=privacy" in page.url and "attr=open_source" in page.url
    assert card_names(page) == []
    # Untick the attribute: the privacy entry comes back, and the shared URL reproduces the view.
    page.get_by_role("checkbox", name="Open source", exact=True).last.uncheck()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/alternatives/?category=privacy")
    assert card_names(page) == ["Privy"]
    # The avoid section stays, with its reason.
    avoid = page.get_by_role("region", name="To avoid")
    assert avoid.get_by_text("Campaign reason.").is_visible()


def test_a_visitor_filters_the_directory_in_the_browser(live_server, page, directory) -> None:
    tick_and_apply(page, live_server.url)
    shared = page.url
    page.goto(live_server.url + "/")
    page.goto(shared)
    assert page.get_by_role("checkbox", name="Privacy-focused").is_checked()
    assert card_names(page) == ["Privy"]


def test_the_filters_work_without_javascript(live_server, browser, directory) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        tick_and_apply(page, live_server.url)
    finally:
        context.close()
