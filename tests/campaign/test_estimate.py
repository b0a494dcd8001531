"""An honest estimate of the pressure: yearly revenue that confirmed cancellations represent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from campaign.models import CampaignSettings
from quitgpt.models import AuditEntry
from tally.services import tally_recompute

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SOURCE = "https://openai.com/chatgpt/pricing/"


def test_without_a_price_there_is_no_estimate(join, client) -> None:
    join("ada@example.org")
    tally_recompute()
    assert client.get("/api/tally").json()["estimate"] is None
    assert "No estimate yet" in client.get("/how-we-count/").content.decode()


def test_the_estimate_counts_confirmed_cancellations_only_with_its_method_and_source(join, client) -> None:
    CampaignSettings.objects.create(pk=1, plan_monthly_price=Decimal("20.00"), plan_price_source=SOURCE)
    join("a@example.org", kinds=("cancelled", "shared"))
    join("b@example.org", kinds=("cancelled",))
    join("c@example.org", kinds=("deleted",))
    join("d@example.org", kinds=("shared",))
    client.post(
        "/pledge/", {"kinds": ["cancelled"], "email": "pending@example.org", "country": "FR"}
    )  # unconfirmed
    tally_recompute()
    estimate = client.get("/api/tally").json()["estimate"]
    assert estimate["yearly_revenue"] == 2 * 20 * 12
    assert estimate["cancelled_people"] == 2
    assert (estimate["currency"], estimate["monthly_price"], estimate["price_source"]) == (
        "USD",
        "20.00",
        SOURCE,
    )
    assert estimate["is_estimate"] is True and "x 12" in estimate["method"]
    html = client.get("/how-we-count/").content.decode()
    assert "About 480 USD a year" in html and "an estimate, not a measurement" in html
    assert SOURCE in html


def test_a_price_needs_its_source() -> None:
    with pytest.raises(IntegrityError):
        CampaignSettings.objects.create(pk=1, plan_monthly_price=Decimal("20.00"), plan_price_source="")


def test_setting_the_price_in_the_admin_is_audited(campaign_admin_client, campaign_admin) -> None:
    CampaignSettings.load()
    url = "/admin/campaign/campaignsettings/1/change/"
    data = {
        "plan_monthly_price": "22.50",
        "plan_currency": "EUR",
        "plan_price_source": SOURCE,
        "watch_domain_threshold": 20,
        "watch_ip_prefix_threshold": 300,
        "watch_country_threshold": 500,
        "watch_hourly_factor": 5,
        "watch_hourly_minimum": 100,
        "watch_trusted_domains": "",
    }
    no_source = campaign_admin_client.post(url, {**data, "plan_price_source": ""})
    assert no_source.status_code == 200  # the form is shown again with the error
    assert CampaignSettings.load().plan_monthly_price is None
    assert campaign_admin_client.post(url, data).status_code == 302
    assert CampaignSettings.load().plan_monthly_price == Decimal("22.50")
    entry = AuditEntry.objects.get(action="campaign.settings")
    assert entry.actor == campaign_admin
    assert entry.details["plan_monthly_price"] == "22.50" and entry.details["plan_price_source"] == SOURCE
