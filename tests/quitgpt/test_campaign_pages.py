"""The campaign pages and the standards findings of issue 13, checked on the server's answers."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from alternatives.models import Alternative, Stance
from events.models import Event
from pledges.models import Pledge, ReferralVisit
from tally.charts import axis_ticks, daily_chart_svg
from tally.models import ReportedTally, TallySnapshot
from tally.selectors import people_joined_in_last_hour
from tests.events.conftest import make_event
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db


# --- Home: the short form, live social proof, data-driven teasers --------------------------------------
def test_it_signs_from_the_short_form_with_only_what_was_done_and_an_email(client: Client) -> None:
    response = client.post("/", {})  # the home page takes no POST
    assert response.status_code == 405
    response = client.post(
        "/pledge/",
        {"quick": "1", "kinds": ["shared"], "email": "short@example.org", "website": ""},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 303 and response["Location"] == "/pledge/check-your-email/"
    pledge = Pledge.objects.select_related("supporter").get()
    person = pledge.supporter
    assert (pledge.kind, pledge.email, str(person.country), person.first_name) == (
        "shared",
        "short@example.org",
        "",
        "",
    )
    assert not person.wall_consent and not person.updates_consent


def test_the_short_form_explains_a_missing_email_and_saves_nothing(client: Client) -> None:
    response = client.post(
        "/pledge/",
        {"quick": "1", "kinds": ["shared"], "email": "", "website": ""},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the marked fields." in html
    assert 'name="quick"' in html and 'name="country"' not in html  # re-shown short, not the long form
    assert not Pledge.objects.exists()


def test_the_full_pledge_form_still_requires_a_country(client: Client) -> None:
    response = client.post(
        "/pledge/",
        {"kinds": ["shared"], "email": "full@example.org", "website": ""},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 400 and not Pledge.objects.exists()


def test_the_home_page_carries_the_short_form_and_no_long_fields(client: Client) -> None:
    html = client.get("/").content.decode()
    form = html[html.index('id="sign"') :]
    form = form[: form.index("</form>")]
    assert 'name="email"' in form and 'name="kinds"' in form and 'name="quick"' in form
    for field in ("country", "first_name", "message", "wall_consent", "updates_consent"):
        assert f'name="{field}"' not in form, field


def _snapshot(people: int, *, ago: timedelta, checked_ago: timedelta = timedelta(0)) -> None:
    now = timezone.now()
    TallySnapshot.objects.create(
        created_at=now - ago, checked_at=now - checked_ago, total=people, people=people, reported=0
    )


def test_it_says_how_many_more_people_joined_in_the_last_hour_from_the_snapshots(client: Client) -> None:
    _snapshot(100, ago=timedelta(hours=3))
    _snapshot(140, ago=timedelta(minutes=70))
    _snapshot(152, ago=timedelta(minutes=10))
    assert people_joined_in_last_hour() == 12
    assert "12 more people in the last hour" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "snapshots",
    [
        [],  # nothing published yet
        [(10, timedelta(minutes=20), timedelta(0))],  # no snapshot an hour old: unknown, not "10"
        [(10, timedelta(hours=2), timedelta(0)), (8, timedelta(minutes=5), timedelta(0))],  # it fell
        [(10, timedelta(hours=2), timedelta(0)), (30, timedelta(hours=1), timedelta(minutes=59))],  # stale
    ],
)
def test_it_says_nothing_about_the_last_hour_when_that_would_not_be_honest(client: Client, snapshots) -> None:
    for people, ago, checked_ago in snapshots:
        _snapshot(people, ago=ago, checked_ago=checked_ago)
    assert people_joined_in_last_hour() is None
    assert "in the last hour" not in client.get("/").content.decode()


def test_the_events_teaser_names_the_next_upcoming_event_or_offers_to_hear_of_one(client: Client) -> None:
    Event.objects.all().delete()
    make_event(title="Long past", starts_at=timezone.now() - timedelta(days=30))
    html = client.get("/").content.decode()
    assert "No event is scheduled right now" in html and "Long past" not in html
    cache.clear()  # the teasers are kept for a minute
    make_event(title="Later one", starts_at=timezone.now() + timedelta(days=20))
    make_event(title="Rally in Lyon", starts_at=timezone.now() + timedelta(days=3))
    html = client.get("/").content.decode()
    assert "Rally in Lyon" in html and "Later one" not in html
    assert "No event is scheduled right now" not in html


def test_the_alternatives_teaser_follows_the_directory(client: Client) -> None:
    Alternative.objects.all().delete()
    assert "being checked" in client.get("/").content.decode()
    cache.clear()  # the teasers are kept for a minute
    Alternative.objects.create(name="Lumo", slug="lumo", published=True)
    Alternative.objects.create(name="Hidden", slug="hidden", published=False)
    Alternative.objects.create(name="Grok", slug="grok", published=True, stance=Stance.AVOID, reason_en="x")
    html = client.get("/").content.decode()
    assert ">Lumo</a>" in html and "Hidden" not in html and "Avoid: <a" in html and ">Grok</a>" in html


# --- The referral landing page ---------------------------------------------------------------------------
def test_the_referral_page_names_an_inviter_only_if_they_published_their_first_name(client: Client) -> None:
    public = make_pledge(
        status="confirmed",
        share_code="Nora12345",
        first_name="Nora",
        wall_consent=True,
        message_approved=True,
    )
    private = make_pledge(status="confirmed", share_code="Priv12345", first_name="Secret", wall_consent=False)
    html = client.get(f"/r/{public.share_code}").content.decode()
    assert "Nora invited you to quit ChatGPT." in html
    assert 'name="ref" value="Nora12345"' in html
    html = client.get(f"/r/{private.share_code}").content.decode()
    assert "Secret" not in html and "A friend invited you to quit ChatGPT." in html
    html = client.get("/fr/r/Nora12345").content.decode()
    assert "Nora vous invite à quitter ChatGPT." in html


def test_the_referral_page_is_cacheable_cookie_free_and_counts_visits_through_its_pixel(
    client: Client,
) -> None:
    make_pledge(status="confirmed", share_code="Count12345")
    response = client.get("/r/Count12345")
    assert response.status_code == 200 and not response.cookies
    assert "public" in response["Cache-Control"]
    assert '<img class="visually-hidden" src="/r/Count12345/seen.gif"' in response.content.decode()
    assert not ReferralVisit.objects.exists()  # the page itself may come from a cache
    for _ in range(2):
        pixel = client.get("/r/Count12345/seen.gif")
        assert pixel["Content-Type"] == "image/gif" and "no-store" in pixel["Cache-Control"]
        assert not pixel.cookies
    client.get("/r/Unknown1234/seen.gif")
    assert list(ReferralVisit.objects.values_list("code", "visits")) == [("Count12345", 2)]


def test_an_unknown_or_malformed_referral_code_still_shows_the_page_without_a_ref(client: Client) -> None:
    response = client.get("/r/<script>")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html.split("<main", 1)[1].split("</main>")[0].replace("<script src", "")
    assert 'name="ref" value=""' in html or 'name="ref" type' in html or 'id="id_ref"' in html


# --- Thank-you and check-your-email: one next step each ---------------------------------------------------
def test_the_thank_you_page_puts_sharing_first_then_switching_then_events(client: Client) -> None:
    pledge = make_pledge(status="confirmed", share_code="Step12345")
    html = client.get(f"/pledge/thanks/{pledge.share_code}/").content.decode()
    share, switch, events = (
        html.index(s) for s in ("Next step: share", "Then: switch", "Then: join an action")
    )
    assert share < switch < events
    assert "data-share-url" in html  # the native share sheet where the browser has one


def test_check_your_email_is_not_a_dead_end(client: Client) -> None:
    html = client.get("/pledge/check-your-email/").content.decode()
    assert "While you wait: pick your alternative" in html and 'href="/alternatives/"' in html


# --- Standards findings ------------------------------------------------------------------------------------
def test_favicon_ico_is_served(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response).startswith(b"\x00\x00\x01\x00")  # the ICO header


def test_pages_name_their_share_image_locale_canonical_and_language_versions(client: Client) -> None:
    html = client.get("/alternatives/?category=privacy").content.decode()
    assert '<meta property="og:image:alt" content="' in html
    assert '<meta property="og:locale" content="en_GB">' in html
    assert '<link rel="canonical" href="http://127.0.0.1:8000/alternatives/">' in html
    assert '<link rel="alternate" hreflang="fr" href="http://127.0.0.1:8000/fr/alternatives/">' in html
    assert '<link rel="alternate" hreflang="en" href="http://127.0.0.1:8000/alternatives/">' in html
    fr = client.get("/fr/alternatives/").content.decode()
    assert '<meta property="og:locale" content="fr_FR">' in fr
    assert '<link rel="canonical" href="http://127.0.0.1:8000/fr/alternatives/">' in fr


def test_html_is_sent_compressed_to_clients_that_accept_it(client: Client) -> None:
    plain = client.get("/")
    response = client.get("/", headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = gzip.decompress(response.content)
    assert b"<!doctype html>" in body
    assert len(response.content) < len(plain.content) / 2
    # JSON stays as it is: small, cached, and read byte for byte by the open-data clients.
    api = client.get("/api/tally", headers={"accept-encoding": "gzip"})
    assert "Content-Encoding" not in api


def test_no_public_form_posts_to_an_empty_action(client: Client) -> None:
    pledge = make_pledge(status="pending")
    token_pages = [client.get("/"), client.get("/pledge/"), client.get("/events/")]
    for response in token_pages:
        assert 'action=""' not in response.content.decode()
    assert pledge.pk


def test_time_elements_carry_no_microseconds(client: Client) -> None:
    make_pledge(
        status="confirmed",
        wall_consent=True,
        message_approved=True,
        confirmed_at=timezone.now().replace(microsecond=123456),
    )
    event = make_event(starts_at=(timezone.now() + timedelta(days=2)).replace(microsecond=654321))
    for path in ("/supporters/", f"/events/{event.slug}/", "/"):
        html = client.get(path).content.decode()
        values = re.findall(r'<time datetime="([^"]+)"', html)
        assert values, path
        for value in values:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", value), (path, value)


def test_scrolling_tables_can_take_keyboard_focus(client: Client) -> None:
    ReportedTally.objects.create(source="Org", count=10, date=timezone.localdate())
    html = client.get("/how-we-count/").content.decode()
    scrollers = re.findall(r'<div class="table-scroll"[^>]*>', html)
    assert scrollers
    for tag in scrollers:
        assert 'tabindex="0"' in tag and 'role="region"' in tag and "aria-labelledby=" in tag


def test_reported_tallies_show_their_french_text_on_french_pages(client: Client) -> None:
    ReportedTally.objects.create(
        source="Campaign",
        source_fr="La campagne",
        count=10,
        date=timezone.localdate(),
        note="Unverified",
        note_fr="Non vérifié",
    )
    assert "La campagne" in client.get("/fr/how-we-count/").content.decode()
    en = client.get("/how-we-count/").content.decode()
    assert "La campagne" not in en and "Campaign" in en


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (5, [0, 2, 4, 6]),
        (4, [0, 1, 2, 3, 4]),
        (100, [0, 50, 100]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_the_chart_axis_has_whole_evenly_spaced_ticks(top: int, ticks: list[int]) -> None:
    assert axis_ticks(top) == ticks


def test_the_chart_labels_its_axis_with_those_ticks() -> None:
    today = timezone.localdate()
    svg = daily_chart_svg([(today - timedelta(days=1), 3), (today, 5)])
    labels = re.findall(r'text-anchor="end" font-size="11" fill="#4a4a55">([^<]+)<', svg)
    assert labels == ["0", "2", "4", "6"]


def test_by_country_is_sorted_by_count_then_name(client: Client) -> None:
    from tally.services import tally_recompute

    for i, country in enumerate(["SE", "SE", "DE", "AT", "FR", "FR", "FR"]):
        make_pledge(status="confirmed", country=country, email=f"c{i}@example.org")
    from pledges.models import Supporter

    Supporter.objects.update(tally_dirty=True)
    tally_recompute()
    html = client.get("/how-we-count/").content.decode()
    table = html[html.index('id="by-country-title"') :]
    names = re.findall(r"<tr><td>([^<]+)</td><td>", table)[:4]
    assert names == ["France", "Sweden", "Austria", "Germany"]


def test_the_embed_has_a_main_landmark_a_heading_and_a_description(client: Client) -> None:
    html = client.get("/embed/counter/").content.decode()
    assert '<main class="embed-counter"' in html and "</main>" in html
    assert '<h1 class="visually-hidden">QuitGPT counter</h1>' in html
    assert '<meta name="description" content="The live QuitGPT counter' in html


def test_an_event_nobody_has_joined_yet_does_not_say_going_zero(client: Client) -> None:
    event = make_event(title="Fresh")
    html = client.get(f"/events/{event.slug}/").content.decode()
    assert "0 people confirmed" not in html and ">Going<" not in html


def test_sign_in_pages_use_sentence_case_in_english(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert "Sign In" not in html and "Sign in" in html
