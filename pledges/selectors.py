"""Reads that follow relations: the wall, a supporter's pledges, the pledges of given mailboxes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Min, Prefetch, Q, QuerySet

from pledges.models import Pledge, PledgeSettings, Supporter
from quitgpt.optin import find_by_token
from quitgpt.tokens import MAX_TOKEN_LENGTH, hash_token

logger = logging.getLogger(__name__)

SIGNING_PAUSED_KEY = "pledges:signing-paused"
# Pages showing the form read the switch from the cache (they stay free of database queries under load);
# a submission always reads the row itself, so a pause takes effect at once where it matters.
SIGNING_PAUSED_SECONDS = 10


def wall_supporters() -> QuerySet[Supporter]:
    """The people on the wall, once each whatever kinds they pledged: counted, consented, approved by a
    moderator; newest first (by their first counted confirmation). Each carries `confirmed_at` and its
    counted pledges (for the kinds). Only the public fields are loaded: never an address."""
    counted = Pledge.objects.counted()
    return (
        Supporter.objects.on_wall()
        .annotate(confirmed_at=Min("pledges__confirmed_at", filter=Q(pledges__in=counted)))
        .order_by("-confirmed_at", "-pk")
        .only("first_name", "country", "message")
        .prefetch_related(
            Prefetch(
                "pledges", queryset=counted.order_by("kind").only("kind", "supporter_id"), to_attr="counted"
            )
        )
    )


def supporter_by_manage_token(raw: str) -> Supporter | None:
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return (
        Supporter.objects.filter(manage_token_hash=hash_token(raw))
        .exclude(manage_token_hash="")  # nosec B106 - an erased supporter has no link
        .first()
    )


def pledge_by_confirm_token(raw: str) -> Pledge | None:
    return find_by_token(Pledge.objects.select_related("supporter"), raw)


def pending_pledges_of(supporter_id: int) -> list[Pledge]:
    return list(Pledge.objects.filter(supporter_id=supporter_id, status="pending").order_by("kind"))


def _with_pledges(qs: QuerySet[Supporter]) -> QuerySet[Supporter]:
    return qs.prefetch_related(Prefetch("pledges", queryset=Pledge.objects.order_by("kind")))


def supporters_of_mailboxes(keys: Iterable[str]) -> list[Supporter]:
    """The supporters of these normalised mailboxes (for "My pledges": accounts.selectors.verified_mailboxes
    says which are the signed-in person's; this app never asks accounts)."""
    keys = sorted(set(keys))
    if not keys:
        return []
    return list(_with_pledges(Supporter.objects.filter(email_normalised__in=keys)).order_by("pk"))


def supporter_with_pledges(supporter: Supporter) -> Supporter:
    return _with_pledges(Supporter.objects.filter(pk=supporter.pk)).get()


def signing_paused_for_display() -> bool:
    """Whether the form should say signing is paused: cached briefly, forgotten when an organiser saves."""
    try:
        return bool(
            cache.get_or_set(
                SIGNING_PAUSED_KEY, lambda: PledgeSettings.load().signing_paused, SIGNING_PAUSED_SECONDS
            )
        )
    except Exception:
        logger.warning("cache unavailable for the signing switch; reading the database")
        return PledgeSettings.load().signing_paused


def forget_signing_paused() -> None:
    try:
        cache.delete(SIGNING_PAUSED_KEY)
    except Exception:
        logger.warning(
            "cache unavailable: the signing switch shows its new state within %ss", SIGNING_PAUSED_SECONDS
        )
