from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_loads_the_home_page_and_switches_to_french(live_server, page) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="How we count").is_visible()
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(live_server.url + "/fr/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Comment nous comptons").first.is_visible()
    # The skip link is the first stop for keyboard users.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
