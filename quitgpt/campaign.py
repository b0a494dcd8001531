"""Reads for the campaign pages (home, referral landing, partners): each teaser comes from the data, so
nothing on them goes stale when an event passes or the directory changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from alternatives.models import Alternative, Stance
from events.models import Event
from pledges.models import Supporter
from pledges.services import SHARE_CODE_RE

TEASER_ALTERNATIVES = 4
TEASERS_CACHE_KEY = "campaign:home-teasers:v1"
TEASERS_CACHE_SECONDS = 60


@dataclass(frozen=True)
class HomeTeasers:
    next_event: Event | None
    alternatives: list[Alternative]
    alternatives_count: int
    avoid: list[Alternative]


def home_teasers() -> HomeTeasers:
    """The next upcoming published event (None: the page offers to be told of the next one), a few
    listed alternatives with their total, and the entries the campaign advises to avoid. Kept for a
    minute in the cache: the home page is the hottest page and reads nothing else from the database."""
    try:
        cached = cache.get(TEASERS_CACHE_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    teasers = _home_teasers()
    try:
        cache.set(TEASERS_CACHE_KEY, teasers, TEASERS_CACHE_SECONDS)
    except Exception:  # noqa: S110  # nosec B110: Redis down, the page is still right
        pass
    return teasers


def _home_teasers() -> HomeTeasers:
    next_event = Event.objects.published().upcoming(timezone.now()).order_by("starts_at").first()
    published = Alternative.objects.published()
    listed = published.exclude(stance=Stance.AVOID)
    return HomeTeasers(
        next_event=next_event,
        alternatives=list(listed.only("name", "slug")[:TEASER_ALTERNATIVES]),
        alternatives_count=listed.count(),
        avoid=list(published.filter(stance=Stance.AVOID).only("name", "slug")),
    )


def inviter_first_name(code: str) -> str | None:
    """The first name behind a share code, only if its owner chose to publish it (on the wall: consent,
    approved by a moderator, a pledge that counts); otherwise None and the page names nobody."""
    if not SHARE_CODE_RE.match(code or ""):
        return None
    supporter = (
        Supporter.objects.on_wall()
        .filter(pledges__share_code=code)
        .exclude(first_name="")
        .only("first_name")
        .first()
    )
    return supporter.first_name if supporter else None
