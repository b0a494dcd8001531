"""A person signs in a real browser, reads the email from a real SMTP listener, confirms, and shares."""

from __future__ import annotations

import re

import pytest

from pledges.models import Pledge, Supporter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supporter_signs_confirms_by_email_and_sees_the_thank_you_page(
    live_server, page, smtp_mailbox
) -> None:
    page.goto(live_server.url + "/pledge/")
    page.get_by_label("I cancelled my paid ChatGPT subscription").check()
    page.get_by_role("textbox", name="Email").fill("browser.user@example.org")
    page.get_by_label("First name (optional)").fill("Robin")
    page.get_by_role("combobox", name="Country").select_option("PT")
    page.get_by_label("Show my first name, country and message on the supporters wall").check()
    page.get_by_role("button", name="Sign the pledge").click()
    page.wait_for_url(live_server.url + "/pledge/check-your-email/")
    assert page.get_by_role("heading", name="Check your email").is_visible()

    [message] = smtp_mailbox.wait_for(1)
    assert message["Subject"] == "Confirm your QuitGPT pledge"
    text = smtp_mailbox.text_of(message)
    html = smtp_mailbox.text_of(message, "html")
    confirm = re.search(r"http://[^\s]+/pledge/confirm/[^\s]+/", text).group(0)
    assert confirm in html and "/pledge/manage/" in text

    # Opening the link (as a mail scanner would) confirms nothing.
    path = confirm.split("/pledge/", 1)[1]
    page.goto(f"{live_server.url}/pledge/{path}")
    assert Pledge.objects.get().status == "pending"
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r".*/pledge/thanks/[^/]+/\?receipt=[^&]+&k=[0-9a-f]+$"))
    assert page.locator("#receipt-secret").input_value() == Supporter.objects.get().receipt_secret
    assert page.get_by_role("heading", name="Thank you: your pledge is confirmed").is_visible()
    pledge = Pledge.objects.get()
    assert pledge.status == "confirmed"
    assert page.get_by_role("link", name="Bluesky").get_attribute("href").count(pledge.share_code) == 1
    assert page.locator("#share-url").input_value().endswith(f"/r/{pledge.share_code}")
    assert len(smtp_mailbox.messages) == 1


def test_a_visitor_signs_from_the_home_page(live_server, page, smtp_mailbox) -> None:
    page.goto(live_server.url + "/")
    page.get_by_label("I shared the boycott").check()
    page.get_by_role("textbox", name="Email").fill("home.page@example.org")
    # The home page's short form asks nothing else: country, name and consents come later, if ever.
    assert page.get_by_role("combobox", name="Country").count() == 0
    page.get_by_role("button", name="Sign the pledge").click()
    page.wait_for_url(live_server.url + "/pledge/check-your-email/")
    smtp_mailbox.wait_for(1)
    assert Pledge.objects.get().kind == "shared"
