"""The number shown: one pure function shared by the API, the templates, the badge and the OG image,
and the words that go with it wherever it travels (`reported_note`, `reported_short`): the part of the
headline that organisers reported, rather than people confirmed here by email, is always said so."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

MILESTONES = (
    10_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    1_500_000,
    2_000_000,
    5_000_000,
    10_000_000,
)

# (unit, English suffix, French suffix). French: "k" (mille), "M" (million), "Md" (milliard).
_UNITS = ((10**9, "B", "Md"), (10**6, "M", "M"), (10**3, "K", "k"))


def tally_display(total: int, language: str = "en") -> str:
    """`total` floored to two significant figures with K/M/B and "+"; exact below 1,000.

    Never above `total`: 1,523,441 -> "1.5M+", 152,344 -> "150K+", 999 -> "999"; French "1,5 M+".
    Integer arithmetic only, so no rounding can push the shown figure above the true one.
    """
    total = max(int(total), 0)
    if total < 1000:
        return str(total)
    step = 10 ** (len(str(total)) - 2)
    floored = total - total % step
    french = language.split("-")[0].lower() == "fr"
    for unit, suffix_en, suffix_fr in _UNITS:
        if floored >= unit:
            whole, rest = divmod(floored, unit)
            number = str(whole)
            if rest:
                # Two significant figures and whole < 10 here, so rest is a whole number of tenths.
                number += ("," if french else ".") + str(rest // (unit // 10))
            if french:
                return f"{number} {suffix_fr}+"
            return f"{number}{suffix_en}+"
    raise AssertionError("unreachable: total >= 1000")  # pragma: no cover


def tally_goal(total: int) -> int:
    """The next milestone above `total`; past the last one, the next multiple of it."""
    for milestone in MILESTONES:
        if total < milestone:
            return milestone
    last = MILESTONES[-1]
    return (total // last + 1) * last


def reported_note(reported: int, language: str = "en") -> str:
    """The headline's label for its reported part, in full ("" when nothing reported is included)."""
    if reported <= 0:
        return ""
    with translation.override(language):
        return gettext("including %(count)s reported by organisers, not confirmed by email here") % {
            "count": tally_display(reported, language)
        }


def reported_short(reported: int, language: str = "en") -> str:
    """The same, short enough for a badge or a header: "incl. 300 reported"."""
    if reported <= 0:
        return ""
    with translation.override(language):
        return gettext("incl. %(count)s reported, unconfirmed") % {"count": tally_display(reported, language)}
