"""The supporters wall, the thank-you page's share links, referral visits, social cards."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import timezone

from pledges.models import ReferralVisit
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db


def wall_pledge(**kwargs):
    kwargs.setdefault("status", "confirmed")
    kwargs.setdefault("wall_consent", True)
    kwargs.setdefault("message_approved", True)
    return make_pledge(**kwargs)


def test_the_wall_shows_only_consenting_approved_counted_pledges(client) -> None:
    wall_pledge(first_name="Shown", message="Bye ChatGPT")
    wall_pledge(first_name="NoConsent", wall_consent=False)
    wall_pledge(first_name="NotApproved", message_approved=False)
    wall_pledge(first_name="Pending", status="pending")
    wall_pledge(first_name="Flagged", suspicious=True)
    wall_pledge(first_name="Withdrawn", status="withdrawn", confirmed_at=timezone.now())
    wall_pledge(first_name="Spam", status="spam")
    html = client.get("/supporters/").content.decode()
    assert "Shown" in html and "Bye ChatGPT" in html and "France" in html
    assert "I cancelled my paid ChatGPT subscription" in html
    for hidden in ("NoConsent", "NotApproved", "Pending", "Flagged", "Withdrawn", "Spam"):
        assert hidden not in html


def test_the_wall_never_shows_an_email_address(client) -> None:
    wall_pledge(email="secret.person@example.org", first_name="Secret")
    html = client.get("/supporters/").content.decode()
    assert "Secret" in html
    assert "secret.person" not in html and "@example.org" not in html


def test_the_wall_is_paginated_newest_first_with_few_queries(client, django_assert_max_num_queries) -> None:
    now = timezone.now()
    for n in range(55):
        wall_pledge(first_name=f"Person{n:02d}", confirmed_at=now - timedelta(minutes=n))
    with django_assert_max_num_queries(4):
        html = client.get("/supporters/").content.decode()
    assert html.index("Person00") < html.index("Person01")
    assert "Person54" not in html and 'rel="next" href="?page=2"' in html
    page2 = client.get("/supporters/?page=2").content.decode()
    assert "Person54" in page2 and "Person00" not in page2
    assert client.get("/supporters/?page=banana").status_code == 200


def test_the_wall_is_cacheable_and_sets_no_cookie(client) -> None:
    response = client.get("/supporters/")
    assert "public" in response["Cache-Control"]
    assert not response.cookies


def test_the_thank_you_page_has_share_links_with_the_referral_code_and_utm_tags(client) -> None:
    pledge = make_pledge(status="confirmed", share_code="Share1234")
    html = client.get(f"/pledge/thanks/{pledge.share_code}/").content.decode()
    for network in (
        "mastodonshare.com",
        "bsky.app",
        "x.com/intent",
        "facebook.com",
        "linkedin.com",
        "wa.me",
        "t.me",
    ):
        assert network in html, network
    assert "mailto:?subject=" in html
    assert "Copy link" in html and "data-copy=" in html
    share = "http://127.0.0.1:8000/pledge/?ref=Share1234&amp;utm_source=copy&amp;utm_medium=share&amp;utm_campaign=quitgpt"
    assert share in html
    assert unquote("ref%3DShare1234%26utm_source%3Dbluesky") in unquote(html)


def test_each_share_link_carries_its_network_as_utm_source(client) -> None:
    import re

    pledge = make_pledge(status="confirmed", share_code="Share1234")
    html = client.get(f"/pledge/thanks/{pledge.share_code}/").content.decode()
    hrefs = re.findall(r'class="button secondary share-(\w+)" href="([^"]+)"', html)
    assert {key for key, _ in hrefs} >= {
        "mastodon",
        "bluesky",
        "x",
        "facebook",
        "linkedin",
        "whatsapp",
        "telegram",
    }
    for key, href in hrefs:
        target = unquote(unquote(href.replace("&amp;", "&")))
        query = parse_qs(urlsplit(target[target.index("http", 8) :]).query) if key != "email" else {}
        if key != "email":
            assert query["ref"] == ["Share1234"] and query["utm_source"][0].startswith(key)


def test_an_unknown_thank_you_page_is_a_404(client) -> None:
    assert client.get("/pledge/thanks/nope123456/").status_code == 404
    pending = make_pledge(status="pending")
    assert client.get(f"/pledge/thanks/{pending.share_code}/").status_code == 404


def test_pages_reached_through_a_referral_code_stay_cacheable_and_carry_it_in_the_form(client) -> None:
    make_pledge(share_code="Refer12345")
    response = client.get("/pledge/?ref=Refer12345")
    assert not response.cookies
    assert "public" in response["Cache-Control"] and "no-cache" not in response["Cache-Control"]
    assert 'name="ref" value="Refer12345"' in response.content.decode()
    assert "public" in client.get("/supporters/?ref=Refer12345")["Cache-Control"]


def test_a_referral_visit_counts_once_per_client_per_code_per_day(client) -> None:
    from pledges.services import referral_visit_record
    from quitgpt.net import ip_hash

    make_pledge(share_code="Refer12345")
    one, other = ip_hash("2001:db8:1:1::1"), ip_hash("192.0.2.44")
    for _ in range(20):
        referral_visit_record(code="Refer12345", client=one)
    assert referral_visit_record(code="Refer12345", client=ip_hash("2001:db8:1:1::beef")) is False  # same /64
    assert referral_visit_record(code="Refer12345", client=other) is True
    assert referral_visit_record(code="unknown-code", client=other) is False
    assert referral_visit_record(code="<script>", client=other) is False
    assert list(ReferralVisit.objects.values_list("code", "visits")) == [("Refer12345", 2)]
    assert ReferralVisit.objects.get().day == timezone.localdate()


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/pledge/", "Take the QuitGPT pledge"),
        ("/supporters/", "The QuitGPT supporters wall"),
        ("/pledge/check-your-email/", "Quit ChatGPT: join the boycott"),
        ("/", "Quit ChatGPT: join the boycott"),
    ],
)
def test_public_pages_carry_open_graph_and_twitter_card_tags(client, path, title) -> None:
    html = client.get(path).content.decode()
    assert f'<meta property="og:title" content="{title}">' in html
    for tag in (
        'property="og:description"',
        'property="og:image"',
        'property="og:url"',
        'name="twitter:card"',
        'name="twitter:title"',
        'name="twitter:image"',
    ):
        assert tag in html, tag


def test_the_thank_you_page_carries_social_tags_too(client) -> None:
    pledge = make_pledge(status="confirmed")
    html = client.get(f"/pledge/thanks/{pledge.share_code}/").content.decode()
    assert '<meta property="og:title" content="I joined the QuitGPT boycott">' in html
    assert 'name="twitter:card"' in html


def test_private_pages_are_kept_out_of_search_engines(client) -> None:
    from pledges.services import manage_token_for

    pledge = make_pledge(status="confirmed")
    html = client.get(f"/pledge/manage/{manage_token_for(pledge.supporter)}/").content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert "og:url" not in html


def test_the_thank_you_page_offers_copy_paste_embeds_of_the_live_counter(client) -> None:
    pledge = make_pledge(status="confirmed", share_code="Embed1234")
    html = client.get(f"/pledge/thanks/{pledge.share_code}/").content.decode()
    assert '&lt;iframe src="http://127.0.0.1:8000/embed/counter/?lang=en"' in html
    assert "/badge.svg?lang=en" in html
