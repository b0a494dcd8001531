"""Figures the tally job publishes beside the headline, never computed per request, from the tally's
*applied* state, so that they follow exactly the headline's rules (confirmed, not held, one per person):

- `switched`: per alternative's slug, counted supporters who say they switched to it;
- `by_partner`: per partner code, counted supporters with a pledge made through its embedded form;
- `estimate`: the yearly subscription revenue that the confirmed cancellations represent, from the plan
  price the organisers set (with its source), or None while no price is set.

`switched` and `by_partner` join the switches and partners' pledges with the applied state (a pass over
the counted supporters: 0.13 s at 200,000), so they are refreshed every `FIGURES_REFRESH_SECONDS` by a
beat task and stored in one row that each tally run reads; a run finding the row older than
`FIGURES_MAX_AGE` (no beat: the embedded defaults) refreshes it itself. The estimate is computed on every
run (it reads the kind counter and the settings row).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone

from campaign.models import CampaignFigures, CampaignSettings, PledgeSource, Switch

FIGURES_REFRESH_SECONDS = 120
FIGURES_MAX_AGE = timedelta(seconds=600)

ESTIMATE_METHOD = (
    "people counted who confirmed they cancelled a paid ChatGPT subscription x the monthly price of the"
    " paid plan x 12. An estimate: it assumes each paid the listed monthly price for a year; people who"
    " only deleted their account or shared are not included."
)


def _counted_supporters():
    from tally.models import SupporterTally

    return SupporterTally.objects.filter(counted=True).values("supporter_id")


def switched_counts() -> dict[str, int]:
    rows = (
        Switch.objects.filter(supporter_id__in=_counted_supporters())
        .values("alternative__slug")
        .annotate(n=Count("supporter_id"))
        .order_by("alternative__slug")
    )
    return {row["alternative__slug"]: row["n"] for row in rows}


def partner_counts() -> dict[str, int]:
    rows = (
        PledgeSource.objects.filter(partner__isnull=False, supporter_id__in=_counted_supporters())
        .values("partner__code")
        .annotate(n=Count("supporter_id", distinct=True))
        .order_by("partner__code")
    )
    return {row["partner__code"]: row["n"] for row in rows}


def pressure_estimate(cancelled_people: int, config: CampaignSettings | None = None) -> dict[str, Any] | None:
    config = config or CampaignSettings.load()
    if config.plan_monthly_price is None:
        return None
    price = Decimal(config.plan_monthly_price)
    yearly = (price * 12 * cancelled_people).to_integral_value(rounding=ROUND_FLOOR)
    return {
        "yearly_revenue": int(yearly),
        "currency": config.plan_currency,
        "monthly_price": f"{price:.2f}",
        "cancelled_people": cancelled_people,
        "price_source": config.plan_price_source,
        "is_estimate": True,
        "method": ESTIMATE_METHOD,
    }


def figures_refresh() -> dict[str, Any]:
    """Recompute `switched` and `by_partner` and store them (the beat task; idempotent)."""
    data = {"switched": switched_counts(), "by_partner": partner_counts()}
    CampaignFigures.objects.update_or_create(pk=1, defaults={"data": data, "computed_at": timezone.now()})
    return data


def snapshot_extras(by_kind: dict[str, int]) -> dict[str, Any]:
    """What the tally job adds to each snapshot's data (tally.snapshot): one row read, usually."""
    row = CampaignFigures.objects.filter(pk=1).first()
    if row is None or row.computed_at < timezone.now() - FIGURES_MAX_AGE:
        data = figures_refresh()
    else:
        data = row.data
    return {
        "switched": data.get("switched", {}),
        "by_partner": data.get("by_partner", {}),
        "estimate": pressure_estimate(by_kind.get("cancelled", 0)),
    }
