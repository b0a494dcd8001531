from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_reports_ok_when_every_part_is_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
@pytest.mark.redis
def test_it_uses_the_real_redis_for_cache_and_broker(client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["checks"]["cache"]["detail"] == "redis"
    assert body["checks"]["broker"] == {"status": "ok", "detail": "redis"}


@pytest.mark.django_db
def test_it_answers_200_degraded_when_the_cache_and_broker_are_unreachable(
    client: Client, redis_down
) -> None:
    """Redis down is an outage the site survives: a load balancer must keep the node."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"


@pytest.mark.django_db
def test_it_answers_503_down_when_the_database_is_unreachable(client: Client, break_database) -> None:
    break_database()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
