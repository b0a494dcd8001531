"""Browser quality of every public page, English and French, at 390 and 1280 px: nothing scrolls sideways,
axe-core finds no violation, the pledge button sits above the fold, the menu works without JavaScript."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from alternatives.models import Alternative
from pledges import services
from pledges.models import Supporter
from tests.conftest import IN_CI, ROOT, missing
from tests.events.conftest import make_event
from tests.pledges.conftest import make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = [(390, 844), (1280, 800)]
STATIC_PAGES = [
    "/",
    "/pledge/",
    "/pledge/check-your-email/",
    "/supporters/",
    "/alternatives/",
    "/alternatives/compare/",
    "/alternatives/how-to-switch/",
    "/alternatives/suggest/",
    "/events/",
    "/how-we-count/",
    "/privacy/",
    "/partners/",
    "/accounts/login/",
]


def public_pages() -> list[str]:
    """Every kind of public page, with real entries: the seeded directory, an event, a supporter."""
    pledge = make_pledge(
        status="confirmed",
        share_code="Look12345",
        first_name="Nora",
        wall_consent=True,
        message_approved=True,
    )
    event = make_event(title="Rally, with a comma", starts_at=timezone.now() + timedelta(days=5))
    details = [a.get_absolute_url() for a in Alternative.objects.published()]
    return [
        *STATIC_PAGES,
        *details,
        f"/events/{event.slug}/",
        f"/pledge/thanks/{pledge.share_code}/",
        private_thanks_page(),
        f"/r/{pledge.share_code}",
    ]


def private_thanks_page(share_code: str = "Quick1234") -> str:
    """The thank-you page as its owner sees it after signing the short form: it asks for every detail."""
    quick = make_pledge(
        email=f"{share_code.lower()}@example.org",
        status="confirmed",
        share_code=share_code,
        country="",
        first_name="",
    )
    assert services.details_to_ask(quick.supporter) == services.DETAIL_FIELDS  # the page shows the form
    return f"/pledge/thanks/{share_code}/?k={services.manage_token_for(quick.supporter)}"


def _axe_source() -> str:
    if not AXE.exists():
        if IN_CI:
            pytest.fail("axe-core is missing: run `npm ci` (scripts/test.sh does)")
        missing("axe-core", "npm ci")
    return AXE.read_text()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_no_public_page_scrolls_sideways_or_has_an_axe_violation(
    live_server, browser, width: int, height: int, prefix: str
) -> None:
    axe = _axe_source()
    problems: list[str] = []
    # bypass_csp lets the test inject axe; the pages' own policy stays strict for visitors.
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    tab = context.new_page()
    for path in public_pages():
        tab.goto(live_server.url + prefix + path)
        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{prefix}{path}: scrollWidth {scroll_width}")
        tab.add_script_tag(content=axe)
        result = tab.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
        )
        problems.extend(f"{prefix}{path}: {json.dumps(violation)}" for violation in result)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_the_pledge_button_is_above_the_fold_on_the_home_page(
    live_server, browser, width, height, prefix
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.goto(live_server.url + prefix + "/")
    box = tab.locator("#sign button[type=submit]").bounding_box()
    context.close()
    assert box is not None
    assert box["y"] + box["height"] < height, box


def test_the_phone_menu_opens_without_javascript(live_server, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(live_server.url + "/")
    header = tab.locator(".site-header")
    assert header.bounding_box()["height"] <= 72  # one compact row, not a quarter of the screen
    assert header.get_by_role("link", name="Sign").is_visible()
    assert header.locator(".header-counter").is_visible()
    menu_link = header.get_by_role("link", name="How we count")
    assert not menu_link.is_visible()
    header.locator("summary").click()
    assert menu_link.is_visible()
    menu_link.click()
    tab.wait_for_url(live_server.url + "/how-we-count/")
    context.close()


def test_the_home_page_signs_without_javascript(live_server, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(live_server.url + "/")
    tab.get_by_label("I cancelled my paid ChatGPT subscription").check()
    tab.get_by_role("textbox", name="Email").fill("nojs@example.org")
    tab.get_by_role("button", name="Sign the pledge").click()
    tab.wait_for_url(live_server.url + "/pledge/check-your-email/")
    context.close()


def test_the_thank_you_page_takes_the_details_without_javascript(live_server, browser) -> None:
    path = private_thanks_page("NoJs12345")
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(live_server.url + path)
    tab.get_by_role("textbox", name="First name").fill("Noor")
    tab.get_by_role("combobox", name="Country").select_option("FR")
    tab.get_by_role("checkbox", name="Send me campaign updates by email").check()
    tab.get_by_role("button", name="Save my details").click()
    tab.wait_for_url("**done=details")
    assert tab.get_by_role("status").inner_text().startswith("Your details are saved.")
    assert tab.get_by_role("heading", name="Next step: share the boycott").is_visible()
    assert tab.get_by_role("button", name="Save my details").count() == 0
    context.close()
    person = Supporter.objects.get(email_normalised="nojs12345@example.org")
    assert (person.first_name, person.country.code, person.updates_consent) == ("Noor", "FR", True)


def test_the_home_page_is_light_and_loads_nothing_from_other_hosts(live_server, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    sizes: dict[str, int] = {}
    hosts: set[str] = set()

    def on_response(response) -> None:
        hosts.add(response.url.split("/")[2])
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # a redirect has no body
            pass

    tab.on("response", on_response)
    tab.goto(live_server.url + "/", wait_until="networkidle")
    context.close()
    assert hosts == {live_server.url.split("/")[2]}
    assert any(url.endswith(".woff2") for url in sizes)  # the typeface is ours, served from here
    assert sum(sizes.values()) < 250_000, sizes


def test_the_axe_check_itself_finds_a_real_violation(browser) -> None:
    # So that "no violation" above means something: axe, injected the same way, flags an image without alt.
    axe = _axe_source()
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    tab.add_script_tag(content=axe)
    ids = tab.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
    context.close()
    assert "image-alt" in ids
