from __future__ import annotations

import pytest

from quitgpt import ratelimit
from quitgpt.spreadsheet import formula_safe


@pytest.mark.redis
def test_the_rate_counter_counts_atomically_in_redis_within_its_window() -> None:
    assert [ratelimit.hit("probe:a", window=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("probe:b", window=60) == 1


@pytest.mark.django_db
def test_the_rate_counter_keeps_counting_in_the_database_when_redis_is_down(redis_down) -> None:
    # The cache falls back to its database table (quitgpt/cache.py): limits hold through an outage.
    assert [ratelimit.hit("probe:c", window=60) for _ in range(3)] == [1, 2, 3]


def test_the_rate_counter_says_none_when_no_cache_answers(redis_down) -> None:
    # Neither Redis nor the database (no database access in this test): the caller decides.
    assert ratelimit.hit("probe:d", window=60) is None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("Jane", "Jane"),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_csv_cell_never_runs_as_a_formula(value, cell) -> None:
    assert formula_safe(value) == cell
