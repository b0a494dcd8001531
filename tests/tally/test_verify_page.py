"""The Verify page: a supporter pastes their receipt secret and Chromium checks it against the signed log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pledges.models import Supporter
from tally.log_models import LogEntry
from tally.services import tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _counted_people(n: int) -> None:
    for i in range(n):
        confirm(make_pledge(f"p{i}@example.org", "cancelled" if i % 2 else "shared"))
    tally_recompute()


def test_a_visitor_checks_their_receipt_in_the_browser(live_server, page) -> None:
    _counted_people(11)
    secret = Supporter.objects.get(email_normalised="p6@example.org").receipt_secret
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP violations too
    page.goto(live_server.url + "/verify/")
    page.get_by_label("Receipt secret").fill(secret)
    page.get_by_role("button", name="Verify").click()
    results = page.locator("#verify-result")
    expect(results).to_contain_text("is in the signed log of 11 entries", timeout=10_000)
    expect(results).to_contain_text("You are counted (shared)")
    signature = results.locator("li").nth(1)
    expect(signature).to_have_attribute("data-state", "ok")  # this Chromium verifies Ed25519
    assert results.locator("[data-state=fail]").count() == 0
    assert not errors, errors


def test_a_wrong_secret_or_a_tampered_entry_is_reported_as_such_in_french(live_server, page) -> None:
    _counted_people(5)
    page.goto(live_server.url + "/fr/verify/")
    page.locator("#verify-secret").fill("not-a-receipt")
    page.locator("#verify-form button").click()
    expect(page.locator("#verify-result [data-state=fail]")).to_contain_text("Aucune entrée", timeout=10_000)
    secret = Supporter.objects.get(email_normalised="p2@example.org").receipt_secret
    entry = LogEntry.objects.get(
        commitment=Supporter.objects.get(email_normalised="p2@example.org").receipt_commitment
    )
    LogEntry.objects.filter(pk=entry.pk).update(leaf_hash=b"\x00" * 32)
    page.reload()
    page.locator("#verify-secret").fill(secret)
    page.locator("#verify-form button").click()
    expect(page.locator("#verify-result [data-state=fail]")).to_have_count(1, timeout=10_000)


def test_the_page_works_signed_in_and_says_what_to_do_without_javascript(
    live_server, browser, client, django_user_model
) -> None:
    _counted_people(2)
    user = django_user_model.objects.create_user("ada", "ada@example.org", "pw-not-used")
    client.force_login(user)
    assert client.get("/verify/").status_code == 200
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/verify/")
    assert page.locator("#verify-form button").is_disabled()
    assert "verify_count.py" in page.content()
    context.close()


def test_a_browser_without_ed25519_is_told_so_and_still_checks_the_proof(live_server, page) -> None:
    _counted_people(3)
    secret = Supporter.objects.get(email_normalised="p1@example.org").receipt_secret
    # An older browser: WebCrypto has SHA-256 but refuses Ed25519 keys.
    page.add_init_script(
        """
        const importKey = crypto.subtle.importKey.bind(crypto.subtle);
        crypto.subtle.importKey = (format, data, algorithm, ...rest) =>
          (algorithm && algorithm.name === "Ed25519")
            ? Promise.reject(new DOMException("unsupported", "NotSupportedError"))
            : importKey(format, data, algorithm, ...rest);
        """
    )
    page.goto(live_server.url + "/verify/")
    page.get_by_label("Receipt secret").fill(secret)
    page.get_by_role("button", name="Verify").click()
    results = page.locator("#verify-result")
    expect(results).to_contain_text("is in the signed log of 3 entries", timeout=10_000)
    expect(results.locator("li").nth(1)).to_have_attribute("data-state", "note")
    expect(results.locator("li").nth(1)).to_contain_text("cannot check Ed25519 signatures")
