"""Fraud watch: concentrations, holding without a person in the common case, alerts once per crossing,
bulk invalidation from the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaign.models import CampaignSettings, PledgeSource, WatchAlert
from campaign.tasks import fraud_watch
from pledges.models import Pledge
from tally.services import tally_recompute

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]

CARRIER_IP = "198.51.100.7"
PROVIDERS = [
    "gmail.com",
    "outlook.com",
    "yahoo.fr",
    "orange.fr",
    "icloud.com",
    "proton.me",
    "free.fr",
    "gmx.de",
]


def test_200_people_behind_one_carrier_address_each_confirming_count_without_a_moderator(
    join, client
) -> None:
    started = timezone.now()
    for i in range(200):
        join(f"person{i}@{PROVIDERS[i % len(PROVIDERS)]}", ip=CARRIER_IP)
    # The per-IP limits flagged almost all of them at signing; their own confirmation lifted the flag.
    assert Pledge.objects.filter(suspicious=True).count() == 0
    fraud_watch()  # the periodic run holds nothing here
    tally_recompute()
    body = client.get("/api/tally").json()
    assert body["people"] == 200 and body["held"]["suspicious"] == 0
    assert timezone.now() - started < timedelta(hours=1)


def test_an_unconfirmed_flood_from_one_address_stays_held(client) -> None:
    from tests.pledges.conftest import FORM

    for i in range(8):
        client.post(
            "/pledge/",
            {**FORM, "email": f"f{i}@gmail.com"},
            HTTP_SEC_FETCH_SITE="same-origin",
            REMOTE_ADDR=CARRIER_IP,
        )
    assert Pledge.objects.filter(suspicious=True).count() >= 6  # flagged until each mailbox confirms
    assert not Pledge.objects.counted().exists()


def test_a_script_with_200_addresses_on_one_catch_all_domain_is_held(
    join, client, campaign_admin, request
) -> None:
    for i in range(200):
        # Rotating addresses: the domain gives it away, not the IP.
        join(f"bot{i}@mail.catchall.example", ip=f"203.0.{i // 250}.{i % 250 + 1}")
    join("real@gmail.com")
    # Those confirmed after the domain crossed the threshold (20 people in a day) were held at once...
    held_at_confirmation = Pledge.objects.filter(suspicious=True).count()
    assert held_at_confirmation == 200 - 19
    smtp = request.getfixturevalue("smtp_mailbox")
    result = fraud_watch()
    # ...and the run holds the 19 confirmed before it crossed.
    assert result["held"] == 19
    tally_recompute()
    body = client.get("/api/tally").json()
    assert body["people"] == 1 and body["held"]["suspicious"] == 200
    # The campaign admins are told once.
    alert = WatchAlert.objects.get(kind="domain")
    assert alert.key == "catchall.example" and alert.count == 200
    # 201 pledges in an hour against a usual rate of none also crosses the hourly alert.
    assert set(WatchAlert.objects.values_list("kind", flat=True)) == {"domain", "hourly"}
    messages = smtp.wait_for(2)
    assert {m["To"] for m in messages} == {"carol@campaign.example"}
    assert any("catchall.example" in m["Subject"] for m in messages)
    fraud_watch()
    fraud_watch()
    assert len(smtp.messages) == 2 and WatchAlert.objects.count() == 2


def test_an_alert_closes_when_the_crossing_ends_and_a_new_crossing_alerts_again(
    join, campaign_admin, outbox
) -> None:
    CampaignSettings.objects.create(pk=1, watch_domain_threshold=3)

    def alerts() -> list[str]:
        return [m.subject for m in outbox if m.subject.startswith("Fraud watch")]

    for i in range(3):
        join(f"x{i}@small.example")
    fraud_watch()
    fraud_watch()
    assert len(alerts()) == 1
    PledgeSource.objects.update(created_at=timezone.now() - timedelta(days=2))
    fraud_watch()
    assert WatchAlert.objects.get().closed_at is not None
    for i in range(3, 6):
        join(f"x{i}@small.example")
    fraud_watch()
    assert len(alerts()) == 2
    assert WatchAlert.objects.count() == 2 and WatchAlert.objects.filter(closed_at__isnull=True).count() == 1


def test_a_trusted_domain_is_never_held(join) -> None:
    CampaignSettings.objects.create(pk=1, watch_domain_threshold=3, watch_trusted_domains="univ.example\n")
    for i in range(5):
        join(f"s{i}@univ.example")
    fraud_watch()
    assert Pledge.objects.counted().count() == 5


def test_the_dashboard_shows_concentrations_and_leads_to_bulk_invalidation(join, admin_client) -> None:
    CampaignSettings.objects.create(pk=1, watch_domain_threshold=3)
    for i in range(4):
        join(f"x{i}@small.example", ip="192.0.2.50")
    join("ok@gmail.com", ip="192.0.2.60")
    page = admin_client.get("/admin/campaign/watchalert/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    domains = html[html.index('class="watch-domains"') : html.index('class="watch-prefixes"')]
    assert "small.example" in domains and "gmail.com" not in domains
    assert 'action="/admin/pledges/pledge/invalidate/"' in domains
    prefixes = html[html.index('class="watch-prefixes"') :]
    assert "<td>5</td>" in prefixes  # one /24 with five people
    preview = admin_client.post(
        "/admin/pledges/pledge/invalidate/", {"domain": "small.example", "preview": "1"}
    ).content.decode()
    assert "4 pledges match" in preview
    admin_client.post(
        "/admin/pledges/pledge/invalidate/", {"domain": "small.example", "apply": "1", "reason": "catch-all"}
    )
    assert Pledge.objects.filter(status="spam").count() == 4


@pytest.mark.parametrize("who", ["anonymous", "supporter_staffless"])
def test_the_dashboard_is_for_organisers_only(who, django_user_model) -> None:
    client = Client()
    if who == "supporter_staffless":
        client.force_login(django_user_model.objects.create_user(username="sam", email="sam@example.org"))
    response = client.get("/admin/campaign/watchalert/dashboard/")
    assert response.status_code == 302 and "/dashboard/" not in response["Location"].split("?")[0]


def test_the_hourly_rate_is_compared_with_the_usual_rate(join) -> None:
    from campaign.watch import hourly_rates

    for i in range(3):
        join(f"h{i}@gmail.com")
    PledgeSource.objects.filter(pk__in=PledgeSource.objects.values("pk")[:1]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    last_hour, usual = hourly_rates()
    assert last_hour == 2 and usual == pytest.approx(1 / (7 * 24))
