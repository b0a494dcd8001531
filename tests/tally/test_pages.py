"""The counter on every page, the "How we count" page, the embed, the badge and the share image."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from tally.models import ReportedTally
from tally.services import tally_recompute, tally_recount
from tests.tally.conftest import confirm, make_pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> None:
    confirm(make_pledge("ada@example.org", country="FR"))
    make_pledge("wait@example.org")
    ReportedTally.objects.create(
        source="Campaign announcement",
        count=1_500_000,
        date="2026-03-01",
        evidence_url="https://example.org/post",
    )
    tally_recompute()


@pytest.mark.parametrize("path", ["/", "/how-we-count/", "/privacy/", "/pledge/"])
def test_every_page_shows_the_counter_rendered_on_the_server(client: Client, published, path: str) -> None:
    html = client.get(path).content.decode()
    assert "data-tally-display>1.5M+</span>" in html
    assert 'aria-live="polite"' in html
    assert "/static/js/counter.js" in html


def test_the_home_page_shows_the_breakdown_and_the_next_milestone(client: Client, published) -> None:
    html = client.get("/").content.decode()
    assert '<progress id="tally-progress" max="2000000" value="1500001"' in html
    assert "Next goal: <span data-tally-goal>2M</span>" in html
    assert '<span data-tally-field="people">1</span>' in html


def test_the_counter_is_french_on_french_pages(client: Client, published) -> None:
    assert "data-tally-display>1,5 M+</span>" in client.get("/fr/").content.decode()


def test_pages_read_the_counter_without_counting(
    client: Client, published, django_assert_max_num_queries
) -> None:
    client.get("/")
    with django_assert_max_num_queries(0):
        assert client.get("/").status_code == 200


def test_how_we_count_explains_the_sources_the_held_pledges_the_recount_and_the_chart(
    client: Client, published
) -> None:
    tally_recount()
    html = client.get("/how-we-count/").content.decode()
    assert "Campaign announcement" in html
    assert 'href="https://example.org/post"' in html
    assert "unverified" in html
    assert "waiting for email confirmation" not in html  # would tell whether an address had pledged
    assert "Pledges not yet confirmed by email are not shown" in html
    assert "Everything matched." in html
    assert "<td>France</td>" in html
    assert '<svg class="tally-chart"' in html
    assert '<title id="tally-chart-title">People confirmed per day</title>' in html
    assert 'href="/api/tally/daily.csv"' in html
    assert 'href="/partners/"' in html  # the embed snippets live on the partners page


def test_how_we_count_shows_a_repaired_drift(client: Client, published) -> None:
    from pledges.models import Pledge

    Pledge.objects.filter(email_normalised="ada@example.org").update(status="withdrawn")
    tally_recount()
    assert "The difference was corrected." in client.get("/how-we-count/").content.decode()


def test_only_the_embed_may_be_framed_by_other_sites(client: Client, published) -> None:
    page = client.get("/how-we-count/")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    embed = client.get("/embed/counter/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "script-src 'self'" in embed["Content-Security-Policy"]
    assert "data-tally-display>1.5M+</span>" in embed.content.decode()
    assert "Set-Cookie" not in embed
    assert "1,5 M+" in client.get("/embed/counter/?lang=fr").content.decode()
    assert client.get("/embed/counter/?lang=xx").status_code == 200


def test_the_badge_shows_the_current_value(client: Client, published) -> None:
    response = client.get("/badge.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Access-Control-Allow-Origin"] == "*"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "1.5M+ in the boycott" in svg
    assert "1,5 M+" in client.get("/badge.svg?lang=fr").content.decode()


def test_the_open_graph_image_is_a_png_of_the_current_value_and_pages_point_to_it(
    client: Client, published
) -> None:
    from PIL import Image

    response = client.get("/og.png")
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1200, 630)
    # A different figure draws a different image.
    confirm(make_pledge("many@example.org"))
    ReportedTally.objects.update(count=2_500_000)
    tally_recompute()
    assert client.get("/og.png").content != response.content
    html = client.get("/").content.decode()
    assert '<meta property="og:image" content="http://127.0.0.1:8000/og.png">' in html
    assert 'content="http://127.0.0.1:8000/og.png?lang=fr"' in client.get("/fr/").content.decode()


def test_how_we_count_reads_a_fixed_number_of_rows_whatever_the_size(
    client: Client, published, django_assert_max_num_queries
) -> None:
    for i in range(20):
        confirm(make_pledge(f"more{i}@example.org", country="DE"))
    tally_recompute()
    client.get("/how-we-count/")
    # The snapshot's few rows, plus the latest signed head and the audit samples (one query each), and
    # the record of removals (campaign.removals: grouped by day, a few rows).
    with django_assert_max_num_queries(6):
        assert client.get("/how-we-count/").status_code == 200
