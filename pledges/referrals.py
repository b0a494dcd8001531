"""Referrals: visits through a share code, counted per code and day (no cookie, no visitor data)."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pledges.models import Pledge, ReferralVisit
from pledges.signing import SHARE_CODE_RE
from quitgpt import ratelimit

# One visit per client per code per day (the counter outlives the day it counts).
REFERRAL_WINDOW = 26 * 3600


# --- Referrals -----------------------------------------------------------------------------------------
def referral_visit_record(*, code: str, day: date | None = None, client: str = "") -> bool:
    """Count one visit through a share code (no cookie, no visitor data). Unknown codes are ignored.

    `client` (the visitor's `quitgpt.net.ip_hash`: an IPv4 address or an IPv6 /64) counts at most once
    per code per day, so that nobody inflates a code's visits by reloading; it is kept only as a
    cache key for the day."""
    if not SHARE_CODE_RE.match(code or "") or not Pledge.objects.filter(share_code=code).exists():
        return False
    day = day or timezone.localdate()
    if client:
        seen = ratelimit.hit(f"pledges:ref:{code}:{day.isoformat()}:{client}", window=REFERRAL_WINDOW)
        if seen is not None and seen > 1:
            return False
    if ReferralVisit.objects.filter(code=code, day=day).update(visits=F("visits") + 1):
        return True
    try:
        with transaction.atomic():
            ReferralVisit.objects.create(code=code, day=day, visits=1)
    except IntegrityError:  # another request created today's row first
        ReferralVisit.objects.filter(code=code, day=day).update(visits=F("visits") + 1)
    return True
