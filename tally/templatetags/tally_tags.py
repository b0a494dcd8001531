from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from tally.display import reported_note as _reported_note
from tally.display import reported_short as _reported_short
from tally.display import tally_display as _display
from tally.selectors import tally_current as _current

register = template.Library()


@register.simple_tag
def tally_current() -> dict[str, Any]:
    """The published figures: one cache read (or one snapshot row), never a count."""
    return _current()


@register.simple_tag
def tally_poll_seconds() -> int:
    return settings.TALLY_POLL_SECONDS


@register.filter
def tally_display(total: int, language: str = "en") -> str:
    return _display(total or 0, language or "en")


@register.filter
def milestone(goal: int, language: str = "en") -> str:
    """A round goal: shown exactly, without the "+" (2,000,000 -> "2M")."""
    return _display(goal or 0, language or "en").rstrip("+")


@register.simple_tag
def receipt_of(supporter: Any) -> dict[str, str]:
    """A supporter's receipt, for their own pages (manage link, My pledges)."""
    from pledges.receipts import receipt_for

    return receipt_for(supporter)


@register.filter
def reported_note(reported: int, language: str = "en") -> str:
    return _reported_note(reported, language)


@register.filter
def reported_short(reported: int, language: str = "en") -> str:
    return _reported_short(reported, language)
