"""Partners: the embeddable pledge form, who may frame it, and per-partner counts."""

from __future__ import annotations

import pytest

from campaign.models import CampaignSettings, Partner, PledgeSource
from campaign.tasks import refresh_campaign_figures
from pledges.models import Pledge
from quitgpt.models import AuditEntry
from tally.services import tally_recompute
from tests.pledges.conftest import link_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EMBED = "/embed/pledge/"
FORM = {"kinds": ["cancelled"], "email": "ada@example.org", "country": "FR", "website": "", "lang": "en"}


@pytest.fixture
def partner() -> Partner:
    return Partner.objects.create(
        code="rights-fr", name="Digital Rights FR", origins="https://rights.example\n"
    )


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """A POST from our own page (inside the frame), its emails sent on commit."""

    def _post(path: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, HTTP_SEC_FETCH_SITE="same-origin")

    return _post


def _frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("frame-ancestors"))


def test_only_allowed_partner_origins_may_frame_the_form(client, partner) -> None:
    response = client.get(EMBED + "?partner=rights-fr")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert _frame_ancestors(response) == "frame-ancestors https://rights.example"
    assert 'name="partner" value="rights-fr"' in response.content.decode()
    assert not response.cookies
    # Every other page still refuses to be framed.
    home = client.get("/pledge/")
    assert home["X-Frame-Options"] == "DENY" and _frame_ancestors(home) == "frame-ancestors 'none'"


def test_an_inactive_partner_loses_its_place_and_no_partner_means_no_framing(client, admin_user) -> None:
    from campaign.services import partner_save

    p = Partner.objects.create(code="old", name="Old", origins="https://old.example")
    assert _frame_ancestors(client.get(EMBED)) == "frame-ancestors https://old.example"
    p.active = False
    partner_save(partner=p, actor=admin_user, changed=["active"])
    assert _frame_ancestors(client.get(EMBED)) == "frame-ancestors 'none'"
    assert AuditEntry.objects.filter(action="partner.change").exists()


def test_the_campaign_may_let_any_site_frame_it(client, partner, admin_user) -> None:
    from campaign.services import campaign_settings_save

    config = CampaignSettings.load()
    config.embed_any_origin = True
    campaign_settings_save(config=config, actor=admin_user, changed=["embed_any_origin"])
    assert _frame_ancestors(client.get(EMBED)) == "frame-ancestors *"


def test_a_pledge_through_the_embed_is_double_opt_in_and_carries_the_partner(
    client, partner, outbox, post
) -> None:
    response = post(EMBED, {**FORM, "partner": "rights-fr"})
    assert response.status_code == 303 and response["Location"].startswith(EMBED + "?sent=1")
    assert "Check your email" in client.get(response["Location"]).content.decode()
    pledge = Pledge.objects.get()
    assert pledge.status == "pending"
    assert PledgeSource.objects.get(pledge=pledge).partner == partner
    tally_recompute()  # applies the confirmations
    refresh_campaign_figures()  # the beat task, every 2 minutes
    tally_recompute()
    assert client.get("/api/tally").json()["by_partner"] == {}  # not before confirming
    client.post(link_in(outbox[0], "confirm"), {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin")
    tally_recompute()  # applies the confirmations
    refresh_campaign_figures()  # the beat task, every 2 minutes
    tally_recompute()
    assert client.get("/api/tally").json()["by_partner"] == {"rights-fr": 1}
    html = client.get("/how-we-count/").content.decode()
    assert "Digital Rights FR: <strong>1</strong>" in html


def test_a_cross_site_post_to_the_embed_is_refused_and_saves_nothing(client, partner) -> None:
    response = client.post(EMBED, {**FORM, "partner": "rights-fr"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    response = client.post(EMBED, {**FORM, "partner": "rights-fr"}, HTTP_ORIGIN="https://rights.example")
    assert response.status_code == 403
    assert not Pledge.objects.exists()


def test_the_embed_honeypot_and_bad_input_save_nothing(client, partner, outbox) -> None:
    filled = client.post(EMBED, {**FORM, "website": "http://spam"}, HTTP_SEC_FETCH_SITE="same-origin")
    assert filled.status_code == 303
    bad = client.post(EMBED, {**FORM, "email": "not an address"}, HTTP_SEC_FETCH_SITE="same-origin")
    assert bad.status_code == 400 and "Please correct the marked fields." in bad.content.decode()
    assert not Pledge.objects.exists() and outbox == []


def test_the_embed_follows_the_per_ip_limits(client, partner) -> None:
    for i in range(4):
        client.post(
            EMBED,
            {**FORM, "email": f"f{i}@example.org"},
            HTTP_SEC_FETCH_SITE="same-origin",
            REMOTE_ADDR="192.0.2.99",
        )
    assert Pledge.objects.filter(suspicious=True).count() == 3


def test_an_unknown_partner_code_is_ignored(client, outbox) -> None:
    client.post(EMBED, {**FORM, "partner": "nobody"}, HTTP_SEC_FETCH_SITE="same-origin")
    assert PledgeSource.objects.get().partner is None


def test_the_embed_speaks_french(client, partner) -> None:
    html = client.get(EMBED + "?partner=rights-fr&lang=fr").content.decode()
    assert '<html lang="fr">' in html and "J\u2019ai supprimé mon compte ChatGPT" in html


def test_the_admin_shows_each_partners_counts(admin_client, partner, client, outbox, post) -> None:
    post(EMBED, {**FORM, "partner": "rights-fr", "email": "p1@example.org"})
    client.post(link_in(outbox[-1], "confirm"), {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin")
    post(EMBED, {**FORM, "partner": "rights-fr", "email": "p2@example.org"})
    tally_recompute()
    html = admin_client.get("/admin/campaign/partner/").content.decode()
    assert "Digital Rights FR" in html
    assert (
        'class="field-people">2<' in html
        and 'class="field-confirmed">1<' in html
        and 'class="field-counted">1<' in html
    )
    conversions = admin_client.get("/admin/campaign/watchalert/conversions/").content.decode()
    assert "<td>Digital Rights FR</td><td>rights-fr</td><td>2</td><td>1</td><td>1</td>" in conversions
