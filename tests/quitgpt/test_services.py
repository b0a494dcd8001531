"""The foundation runs on the real services when they are configured."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction


@pytest.mark.redis
def test_the_cache_is_the_real_redis() -> None:
    import redis
    from django.conf import settings

    cache.set("probe", {"n": 1}, 30)
    assert cache.get("probe") == {"n": 1}
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"probe" in key for key in client.keys("*probe*"))


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_is_the_real_postgresql_and_enforces_constraints() -> None:
    from pledges.models import Pledge, Supporter

    assert connection.vendor == "postgresql"
    supporter = Supporter.objects.create(email_normalised="a@example.org")
    Pledge.objects.create(
        supporter=supporter,
        kind="cancelled",
        email="a@example.org",
        email_normalised="a@example.org",
        share_code="s1",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.create(
            supporter=supporter,
            kind="cancelled",
            email="A@example.org",
            email_normalised="a@example.org",
            share_code="s2",
        )
