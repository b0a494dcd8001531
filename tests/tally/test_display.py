from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.display import MILESTONES, tally_display, tally_goal


@pytest.mark.parametrize(
    ("total", "shown"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1_000, "1K+"),
        (1_523, "1.5K+"),
        (15_234, "15K+"),
        (152_344, "150K+"),
        (999_999, "990K+"),
        (1_000_000, "1M+"),
        (1_523_441, "1.5M+"),
        (1_999_999, "1.9M+"),
        (2_000_000_000, "2B+"),
    ],
)
def test_it_floors_to_two_significant_figures_with_a_suffix(total: int, shown: str) -> None:
    assert tally_display(total) == shown


def test_it_writes_french_with_a_decimal_comma_and_a_space() -> None:
    assert tally_display(1_523_441, "fr") == "1,5 M+"
    assert tally_display(15_234, "fr") == "15 k+"
    assert tally_display(999, "fr") == "999"


def _value_of(shown: str) -> float:
    if "+" not in shown:
        return int(shown)
    match = re.fullmatch(r"(\d+)(?:[.,](\d))? ?(K|k|M|B|Md)\+", shown)
    assert match, shown
    unit = {"K": 10**3, "k": 10**3, "M": 10**6, "B": 10**9, "Md": 10**9}[match.group(3)]
    return (int(match.group(1)) * 10 + int(match.group(2) or 0)) * unit // 10


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(["en", "fr"]))
def test_it_is_never_above_the_total_and_within_ten_percent_below(total: int, language: str) -> None:
    shown = _value_of(tally_display(total, language))
    assert shown <= total
    assert shown > total * 0.9 or total == 0


@given(st.integers(min_value=0, max_value=10**9))
def test_it_is_exact_below_a_thousand_and_never_goes_down_as_the_total_grows(total: int) -> None:
    if total < 1000:
        assert tally_display(total) == str(total)
    assert _value_of(tally_display(total + 1)) >= _value_of(tally_display(total))


def test_the_goal_rises_through_the_milestones() -> None:
    assert tally_goal(0) == 10_000
    assert tally_goal(9_999) == 10_000
    assert tally_goal(10_000) == 50_000
    assert tally_goal(1_523_441) == 2_000_000
    assert [tally_goal(m - 1) for m in MILESTONES] == list(MILESTONES)
    assert tally_goal(10_000_000) == 20_000_000
