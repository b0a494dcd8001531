"""The campaign tools' part of a supporter's export and erasure (called by pledges.privacy)."""

from __future__ import annotations

from typing import Any

from campaign.models import PledgeSource, RenewalReminder, Switch


def campaign_data_export(*, supporter_id: int) -> dict[str, Any]:
    switch = Switch.objects.filter(supporter_id=supporter_id).select_related("alternative").first()
    reminder = RenewalReminder.objects.filter(supporter_id=supporter_id).first()
    return {
        "switched_to": switch.alternative.slug if switch else None,
        "renewal_reminder": (
            {
                "renews_on": reminder.renews_on.isoformat(),
                "before_owed_at": reminder.before_owed_at.isoformat() if reminder.before_owed_at else None,
                "after_owed_at": reminder.after_owed_at.isoformat() if reminder.after_owed_at else None,
            }
            if reminder
            else None
        ),
    }


def campaign_data_erase(*, supporter_id: int) -> None:
    """Erase what the campaign tools keep about a supporter. Pledge sources keep only the partner and the
    day (the partner counts stay right); the domain, IP prefix and country go."""
    Switch.objects.filter(supporter_id=supporter_id).delete()
    RenewalReminder.objects.filter(supporter_id=supporter_id).delete()
    PledgeSource.objects.filter(supporter_id=supporter_id).update(domain="", ip_prefix_hash="", country="")
