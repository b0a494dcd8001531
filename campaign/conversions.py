"""Referrals that show results: people who joined through a share link or a partner, confirmed and
counted (the tally's applied state, as in the headline)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from campaign.models import Partner, PledgeSource
from pledges.models import COUNTED_STATUS, Pledge, ReferralVisit


def _counted_supporters():
    from tally.models import SupporterTally

    return SupporterTally.objects.filter(counted=True).values("supporter_id")


def referrals_counted_for(*, supporter_id: int) -> int:
    """How many other people joined through this supporter's share links and count (confirmed, not
    held, each once)."""
    codes = list(Pledge.objects.filter(supporter_id=supporter_id).values_list("share_code", flat=True))
    if not codes:
        return 0
    return (
        Pledge.objects.filter(referral_code__in=codes, supporter_id__in=_counted_supporters())
        .exclude(supporter_id=supporter_id)
        .values("supporter_id")
        .distinct()
        .count()
    )


def conversions_by_share_code(*, limit: int = 200) -> list[dict]:
    """Per share code that brought anyone: visits, people who pledged, confirmed and counted."""
    counted = _counted_supporters()
    rows = list(
        Pledge.objects.exclude(referral_code="")
        .values("referral_code")
        .annotate(
            people=Count("supporter_id", distinct=True),
            confirmed=Count("supporter_id", distinct=True, filter=Q(status=COUNTED_STATUS)),
            counted=Count("supporter_id", distinct=True, filter=Q(supporter_id__in=counted)),
        )
        .order_by("-counted", "-people", "referral_code")[:limit]
    )
    visits = dict(
        ReferralVisit.objects.filter(code__in=[r["referral_code"] for r in rows])
        .values("code")
        .annotate(n=Sum("visits"))
        .values_list("code", "n")
    )
    for row in rows:
        row["visits"] = visits.get(row["referral_code"], 0)
    return rows


def conversions_by_partner() -> list[dict]:
    """Per partner: people who pledged through its form, confirmed and counted."""
    counted = _counted_supporters()
    rows = {
        row["partner_id"]: row
        for row in PledgeSource.objects.filter(partner__isnull=False)
        .values("partner_id")
        .annotate(
            people=Count("supporter_id", distinct=True),
            confirmed=Count("supporter_id", distinct=True, filter=Q(pledge__status=COUNTED_STATUS)),
            counted=Count("supporter_id", distinct=True, filter=Q(supporter_id__in=counted)),
        )
    }
    return [
        {
            "partner": partner,
            "people": rows.get(partner.pk, {}).get("people", 0),
            "confirmed": rows.get(partner.pk, {}).get("confirmed", 0),
            "counted": rows.get(partner.pk, {}).get("counted", 0),
        }
        for partner in Partner.objects.order_by("name")
    ]
