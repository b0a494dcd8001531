"""Partners and who may frame the embeddable pledge form; organisers' changes are audited."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.cache import cache
from django.db import transaction

from campaign.models import CampaignSettings, Partner
from quitgpt.audit import audit_record

FRAME_CACHE_KEY = "campaign:frame-ancestors:v1"


def partner_by_code(code: str) -> Partner | None:
    from campaign.models import PARTNER_CODE_RE

    if not PARTNER_CODE_RE.match(code or ""):
        return None
    return Partner.objects.filter(code=code, active=True).first()


def embed_frame_ancestors() -> list[str]:
    """CSP frame-ancestors of /embed/pledge/: "*" if the campaign allows any site, else the origins of
    active partners (none: "'none'"). Cached for a minute; saving a partner or the settings forgets it."""
    try:
        cached = cache.get(FRAME_CACHE_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    if CampaignSettings.load().embed_any_origin:
        value = ["*"]
    else:
        origins = sorted(
            {o for p in Partner.objects.filter(active=True).only("origins") for o in p.origin_list()}
        )
        value = origins or ["'none'"]
    with contextlib.suppress(Exception):  # Redis down: computed again next time
        cache.set(FRAME_CACHE_KEY, value, 60)
    return value


def _forget() -> None:
    with contextlib.suppress(Exception):  # the entry expires within a minute anyway
        cache.delete(FRAME_CACHE_KEY)


def partner_save(*, partner: Partner, actor: Any, changed: list[str]) -> Partner:
    with transaction.atomic():
        created = partner.pk is None
        partner.full_clean()
        partner.save()
        audit_record(
            actor=actor,
            action="partner.create" if created else "partner.change",
            target=partner,
            details={"changed": changed, "origins": partner.origin_list(), "active": partner.active},
        )
    _forget()
    transaction.on_commit(_forget)  # and again once committed, in case a reader cached the old row
    return partner


def campaign_settings_save(
    *, config: CampaignSettings, actor: Any, changed: list[str], reason: str = ""
) -> None:
    """Save the campaign settings; every change (the plan price and its source above all) is audited."""
    with transaction.atomic():
        config.full_clean()
        config.save()
        audit_record(
            actor=actor,
            action="campaign.settings",
            target=config,
            reason=reason,
            details={
                "changed": changed,
                "plan_monthly_price": str(config.plan_monthly_price)
                if config.plan_monthly_price is not None
                else None,
                "plan_currency": config.plan_currency,
                "plan_price_source": config.plan_price_source,
                "embed_any_origin": config.embed_any_origin,
            },
        )
    _forget()
    transaction.on_commit(_forget)
