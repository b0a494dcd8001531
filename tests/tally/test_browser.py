"""A visitor watches the counter move without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tally.services import demo_pledges_seed, tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_counter_changes_without_a_reload(live_server, page, settings) -> None:
    settings.TALLY_POLL_SECONDS = 1
    for i in range(3):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()
    page.goto(live_server.url + "/")
    counter = page.locator(".counter [data-tally-display]")
    assert counter.inner_text() == "3"
    assert page.locator(".header-counter [data-tally-display]").inner_text() == "3"
    page.evaluate("window.__notReloaded = true")

    # 1,200 confirmations arrive (the seed marks them counted set-based) while the page is open.
    demo_pledges_seed(count=1200, force=True)

    expect(counter).to_have_text("1.2K+", timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator(".header-counter [data-tally-display]")).to_have_text("1.2K+")
    expect(page.locator("[data-tally-announce]")).to_have_text("The counter now shows 1.2K+.")
    expect(page.locator("[data-tally-field=people]")).to_have_text("1,203")
    expect(page.locator("#tally-progress")).to_have_attribute("value", "1203")


def test_polling_pauses_while_the_tab_is_hidden_and_resumes_at_once(live_server, page, settings) -> None:
    settings.TALLY_POLL_SECONDS = 1
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/api/tally" in request.url else None)
    page.goto(live_server.url + "/")
    page.wait_for_timeout(2500)
    assert polls, "the page should poll every second while visible"
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(300)
    polls.clear()
    page.wait_for_timeout(2500)
    assert polls == []
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(500)
    assert len(polls) == 1
