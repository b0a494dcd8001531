""" "I switched to": a confirmed supporter says which alternative they moved to (or takes it back)."""

from __future__ import annotations

from django.db import transaction

from alternatives.models import Alternative, Stance
from campaign.models import Switch
from pledges.models import COUNTED_STATUS, Pledge, Supporter


def switch_choices():
    """The alternatives one may say one switched to: published, and not among those to avoid."""
    return Alternative.objects.published().exclude(stance=Stance.AVOID)


def switch_set(*, supporter: Supporter, slug: str) -> bool:
    """Record (or with an empty slug, remove) the supporter's switch. Only a supporter with a confirmed
    pledge may say it; False, and nothing changed, for an unknown alternative or an unconfirmed one."""
    if not Pledge.objects.filter(supporter=supporter, status=COUNTED_STATUS).exists():
        return False
    if not slug:
        Switch.objects.filter(supporter=supporter).delete()
        return True
    alternative = switch_choices().filter(slug=slug).first()
    if alternative is None:
        return False
    with transaction.atomic():
        Switch.objects.update_or_create(supporter=supporter, defaults={"alternative": alternative})
    return True


def switch_of(supporter_id: int) -> str:
    switch = Switch.objects.filter(supporter_id=supporter_id).select_related("alternative").first()
    return switch.alternative.slug if switch else ""
