"""The branded admin's front page lists what needs attention, each count linking to its filtered list."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from alternatives.models import Suggestion
from tally.models import Recount
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db


def _items(html: str) -> dict[str, tuple[int, str]]:
    section = html[html.index('id="qg-attention-title"') : html.index("</section>")]
    found = re.findall(r'<a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a>', section)
    return {label: (int(n), href.replace("&amp;", "&")) for href, n, label in found}


def test_the_admin_front_page_counts_what_needs_attention_and_links_to_it(admin_client: Client) -> None:
    make_pledge(status="confirmed", suspicious=True)
    make_pledge(status="confirmed", suspicious=True)
    make_pledge(status="confirmed", wall_consent=True, message_approved=False, message="Hello")
    make_pledge(status="confirmed", wall_consent=True, message_approved=True)
    Suggestion.objects.create(name="Somewhere")
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "QuitGPT organisers" in html and "/static/css/admin.css" in html
    items = _items(html)
    assert items["Suspicious pledges held out of the count"][0] == 2
    assert items["Wall entries waiting for approval"][0] == 1
    assert items["New suggestions for the directory"][0] == 1
    assert items["Drift found by the last recount"][0] == 0
    # Each link opens the changelist filtered to exactly the rows counted.
    for label, (count, href) in items.items():
        if label == "Counter freshness":
            continue
        listing = admin_client.get(href)
        assert listing.status_code == 200, (label, href)
        if label != "Drift found by the last recount":
            rows = re.findall(r'name="_selected_action"', listing.content.decode())
            assert len(rows) == count, label


def test_a_recount_that_found_drift_is_flagged(admin_client: Client) -> None:
    Recount.objects.create(expected_people=10, found_people=13, drift=3)
    html = admin_client.get("/admin/").content.decode()
    assert _items(html)["Drift found by the last recount"][0] == 3
    assert 'class="qg-attention-alert"><a href="/admin/tally/recount/"' in html
