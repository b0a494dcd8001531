"""An organiser signs in to the admin in a real browser: password, then the TOTP code."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, add_totp, make_organiser, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_csp(page) -> list[str]:
    """Collect the browser's Content-Security-Policy complaints: there must be none."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_an_organiser_signs_in_at_the_admin_with_a_totp_code(live_server, page) -> None:
    organiser = make_organiser(is_superuser=True)
    secret = add_totp(organiser)
    violations = _watch_csp(page)

    page.goto(live_server.url + "/admin/")
    page.wait_for_url(live_server.url + "/accounts/login/?next=%2Fadmin%2F")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(live_server.url + "/admin/")
    assert page.get_by_role("heading", name="Site administration").is_visible()
    page.goto(live_server.url + "/admin/auth/user/")
    assert page.get_by_role("link", name=organiser.username).is_visible()
    assert violations == []


def test_an_organiser_without_totp_is_sent_to_set_it_up(live_server, page) -> None:
    organiser = make_organiser()
    violations = _watch_csp(page)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # Straight to the QR code: the password was just typed (no second prompt for a first authenticator).
    page.wait_for_url("**/accounts/2fa/totp/activate/?next=%2Fadmin%2F")
    qr = page.locator('img[src^="data:image/svg+xml"]')
    assert qr.is_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: image was not blocked
    assert violations == []
