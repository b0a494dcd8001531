"""The supporter's path in a real browser: the deleted-account tier, confirming by email, "I switched
to" and the renewal reminder on the thank-you page, the directory's count; and a partner's site framing
the embeddable form."""

from __future__ import annotations

import http.server
import re
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alternatives.models import Alternative
from campaign.models import Partner, RenewalReminder, Switch
from campaign.tasks import refresh_campaign_figures
from pledges.models import Pledge, Supporter
from tally.services import tally_recompute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supporter_deletes_their_account_confirms_says_where_they_went_and_asks_a_reminder(
    live_server, page, smtp_mailbox
) -> None:
    Alternative.objects.get_or_create(
        slug="lumo",
        defaults={"name": "Lumo", "summary_en": "Private", "published": True, "needs_review": False},
    )
    page.goto(live_server.url + "/pledge/")
    page.get_by_label("I deleted my ChatGPT account").check()
    page.get_by_role("textbox", name="Email").fill("tier.one@example.org")
    page.get_by_role("combobox", name="Country").select_option("FR")
    page.get_by_role("button", name="Sign the pledge").click()
    page.wait_for_url(live_server.url + "/pledge/check-your-email/")

    [message] = smtp_mailbox.wait_for(1)
    confirm = re.search(r"http://[^\s]+(/pledge/confirm/[^\s]+/)", smtp_mailbox.text_of(message)).group(1)
    page.goto(live_server.url + confirm)
    page.get_by_role("button", name="Confirm").click()
    # The thank-you page shows the receipt once and offers what comes after confirming.
    page.wait_for_url(re.compile(r".*/pledge/thanks/[^/]+/\?receipt=[^&]+&k=[0-9a-f]+$"))
    assert Pledge.objects.get().kind == "deleted"
    assert page.locator("#receipt-secret").input_value() == Supporter.objects.get().receipt_secret

    page.get_by_label("I switched to").select_option("lumo")
    page.get_by_role("button", name="Save my switch").click()
    expect(page.get_by_text("Thank you: your switch is recorded.")).to_be_visible()
    assert Switch.objects.get().alternative.slug == "lumo"

    renews = timezone.localdate() + timedelta(days=20)
    page.get_by_label("My subscription renews on").fill(renews.isoformat())
    page.get_by_role("button", name="Remind me").click()
    expect(page.get_by_text("We will remind you before your renewal date.")).to_be_visible()
    assert RenewalReminder.objects.get().renews_on == renews

    tally_recompute()  # applies the confirmations
    refresh_campaign_figures()  # the beat task, every 2 minutes
    tally_recompute()
    page.goto(live_server.url + "/alternatives/")
    expect(
        page.locator("#alt-lumo").locator("xpath=..").get_by_text("1 supporter switched to it")
    ).to_be_visible()
    page.goto(live_server.url + "/how-we-count/")
    expect(page.get_by_text("confirmed they deleted their ChatGPT account")).to_be_visible()


def test_the_guide_copies_the_tell_openai_why_text(live_server, page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + "/alternatives/how-to-switch/")
    expect(page.get_by_role("link", name="Open your App Store subscriptions")).to_have_attribute(
        "href", "https://apps.apple.com/account/subscriptions"
    )
    page.get_by_role("button", name="Copy the French text").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("J'annule à cause du boycott QuitGPT")


@pytest.fixture
def other_site():
    """A real web server on another loopback port: a partner's (or a stranger's) site. Served from a real
    local address, as Chromium's local-network checks refuse a page with none from framing loopback."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get("html", "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_port}"

    def serve(embed_url: str) -> str:
        pages["html"] = (
            "<!doctype html><title>Partner</title><h1>Partner site</h1>"
            f'<iframe src="{embed_url}" width="600" height="800"></iframe>'
        )
        return origin

    serve.origin = origin
    yield serve
    server.shutdown()
    server.server_close()


def test_a_partner_site_frames_the_form_and_its_visitor_pledges(
    live_server, page, smtp_mailbox, other_site
) -> None:
    Partner.objects.create(code="rights-fr", name="Digital Rights FR", origins=other_site.origin)
    page.goto(other_site(live_server.url + "/embed/pledge/?partner=rights-fr") + "/")
    frame = page.frame_locator("iframe")
    frame.get_by_label("I cancelled my paid ChatGPT subscription").check()
    frame.get_by_role("textbox", name="Email").fill("framed@example.org")
    frame.get_by_role("combobox", name="Country").select_option("DE")
    frame.get_by_role("button", name="Sign the pledge").click()
    expect(frame.get_by_role("heading", name="Check your email")).to_be_visible()
    smtp_mailbox.wait_for(1)
    pledge = Pledge.objects.get()
    assert pledge.email == "framed@example.org" and pledge.status == "pending"


def test_a_site_not_on_the_allow_list_cannot_frame_the_form(live_server, page, other_site) -> None:
    Partner.objects.create(code="rights-fr", name="Digital Rights FR", origins="http://127.0.0.1:1")
    page.goto(other_site(live_server.url + "/embed/pledge/?partner=rights-fr") + "/")
    page.wait_for_load_state("load")
    page.wait_for_function("document.querySelector('iframe') !== null")
    page.wait_for_timeout(500)
    frame = page.frames[1]
    # Chromium refuses the frame (CSP frame-ancestors) and shows its error page instead of the form.
    assert frame.url.startswith("chrome-error://") and frame.locator("form.pledge-form").count() == 0
