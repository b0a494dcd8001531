"""What needs an organiser's attention, for the admin's front page: each item a count and the filtered
changelist that lists exactly those rows (the count and the list use the same filter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from alternatives.models import Suggestion, SuggestionStatus
from pledges.models import Pledge, PledgeStatus
from tally.models import Recount
from tally.selectors import tally_freshness


@dataclass(frozen=True)
class AttentionItem:
    label: str
    count: int
    url: str
    # "ok" (nothing to do), "todo" (rows wait for someone) or "alert" (something is wrong)
    level: str
    detail: str = ""


def _changelist(model: type, query: dict[str, str]) -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def needs_attention(user: Any) -> list[AttentionItem]:
    """The items `user` may see (view permission on the model behind each)."""
    items: list[AttentionItem] = []
    if user.has_perm("pledges.view_pledge"):
        suspicious = {"suspicious__exact": "1", "status__exact": PledgeStatus.CONFIRMED}
        n = Pledge.objects.filter(suspicious=True, status=PledgeStatus.CONFIRMED).count()
        items.append(
            AttentionItem(
                _("Suspicious pledges held out of the count"),
                n,
                _changelist(Pledge, suspicious),
                "todo" if n else "ok",
            )
        )
        wall = {
            "status__exact": PledgeStatus.CONFIRMED,
            "supporter__wall_consent__exact": "1",
            "supporter__message_approved__exact": "0",
        }
        n = Pledge.objects.filter(
            status=PledgeStatus.CONFIRMED, supporter__wall_consent=True, supporter__message_approved=False
        ).count()
        items.append(
            AttentionItem(
                _("Wall entries waiting for approval"), n, _changelist(Pledge, wall), "todo" if n else "ok"
            )
        )
    if user.has_perm("alternatives.view_suggestion"):
        n = Suggestion.objects.filter(status=SuggestionStatus.NEW).count()
        items.append(
            AttentionItem(
                _("New suggestions for the directory"),
                n,
                _changelist(Suggestion, {"status__exact": SuggestionStatus.NEW}),
                "todo" if n else "ok",
            )
        )
    if user.has_perm("tally.view_recount"):
        state, detail = tally_freshness()
        items.append(
            AttentionItem(
                _("Counter freshness"),
                0 if state == "ok" else 1,
                reverse("healthz"),
                "ok" if state == "ok" else "alert",
                detail,
            )
        )
        latest = Recount.objects.order_by("-started_at").first()
        drift = latest.drift if latest is not None else 0
        items.append(
            AttentionItem(
                _("Drift found by the last recount"),
                abs(drift),
                _changelist(Recount, {}),
                "alert" if drift else "ok",
                "" if latest is not None else _("No recount yet."),
            )
        )
    return items
