"""Reads that follow relations: the wall, a supporter's pledges, the pledges of a signed-in user."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.selectors import verified_mailboxes
from pledges.models import Pledge, Supporter
from pledges.services import hash_manage_token
from quitgpt.optin import find_by_token


def wall_pledges() -> QuerySet[Pledge]:
    """Confirmed, counted pledges whose owner consented to the wall and whose entry a moderator approved,
    newest first. Only the public fields are loaded: never an address."""
    return (
        Pledge.objects.counted()
        .filter(wall_consent=True, message_approved=True)
        .order_by("-confirmed_at", "-pk")
        .only("first_name", "country", "kind", "message", "confirmed_at")
    )


def supporter_by_manage_token(raw: str) -> Supporter | None:
    if not raw or len(raw) > 200:
        return None
    return (
        Supporter.objects.filter(manage_token_hash=hash_manage_token(raw))
        .exclude(manage_token_hash="")  # nosec B106 - an erased supporter has no link
        .first()
    )


def pledge_by_confirm_token(raw: str) -> Pledge | None:
    return find_by_token(Pledge.objects.select_related("supporter"), raw)


def pending_pledges_of(supporter_id: int) -> list[Pledge]:
    return list(Pledge.objects.filter(supporter_id=supporter_id, status="pending").order_by("kind"))


def _with_pledges(qs: QuerySet[Supporter]) -> QuerySet[Supporter]:
    return qs.prefetch_related(Prefetch("pledges", queryset=Pledge.objects.order_by("kind")))


def supporters_of_user(user) -> list[Supporter]:
    """The supporters whose normalised address matches one of the user's *verified* addresses."""
    keys = verified_mailboxes(user=user)
    if not keys:
        return []
    return list(_with_pledges(Supporter.objects.filter(email_normalised__in=keys)).order_by("pk"))


def supporter_with_pledges(supporter: Supporter) -> Supporter:
    return _with_pledges(Supporter.objects.filter(pk=supporter.pk)).get()
