"""quitgpt.ratelimit.hits: several fixed windows counted in one round trip, like hit() one by one."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from quitgpt import ratelimit

pytestmark = pytest.mark.redis


def test_it_counts_each_window_like_hit_does() -> None:
    keys = [("probe:many:short", 60), ("probe:many:long", 300)]
    assert [ratelimit.hits(keys) for _ in range(3)] == [[1, 1], [2, 2], [3, 3]]
    assert ratelimit.hit("probe:many:short", window=60) == 4


def test_each_window_expires_on_its_own() -> None:
    ratelimit.hits([("probe:ttl:a", 60), ("probe:ttl:b", 300)])
    redis_cache = getattr(cache, "primary", cache)
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_and_validate_key("probe:ttl:a")) <= 60
    assert 60 < client.ttl(redis_cache.make_and_validate_key("probe:ttl:b")) <= 300


@pytest.mark.django_db
def test_with_redis_down_it_keeps_counting_through_the_cache_fallback(redis_down) -> None:
    keys = [("probe:down:a", 60), ("probe:down:b", 300)]
    assert [ratelimit.hits(keys) for _ in range(3)] == [[1, 1], [2, 2], [3, 3]]


def test_it_answers_none_when_no_cache_answers(redis_down) -> None:
    assert ratelimit.hits([("probe:none", 60)]) is None
