"""GET /api/tally: the figures from the published snapshot, cacheable, conditional, open to every site."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from tally.models import ReportedTally
from tally.services import tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> None:
    confirm(make_pledge("ada@example.org", "cancelled", country="FR"))
    confirm(make_pledge("ada@example.org", "shared", country="FR"))
    confirm(make_pledge("bob@example.org", "shared", country=""))
    make_pledge("pending@example.org")
    ReportedTally.objects.create(source="Campaign", count=1_523_438, date="2026-03-01")
    tally_recompute()


def test_it_serves_the_contract_fields(client: Client, published) -> None:
    response = client.get("/api/tally")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["total"] == 1_523_440
    assert body["display"] == "1.5M+"
    assert body["display_i18n"]["fr"] == "1,5 M+"
    assert body["people"] == 2
    assert body["reported"] == 1_523_438
    assert body["by_kind"] == {"cancelled": 1, "shared": 2, "deleted": 0}
    assert body["by_country"] == {"--": 1, "FR": 1}
    assert set(body["held"]) == {"suspicious", "withdrawn", "removed"}  # unconfirmed: not published
    assert body["goal"] == 2_000_000
    assert [s["source"] for s in body["by_source"]] == ["pledges", "Campaign"]
    assert datetime.fromisoformat(body["updated_at"])


def test_it_is_cacheable_by_browsers_and_cdns_and_open_to_other_sites(client: Client, published) -> None:
    response = client.get("/api/tally")
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "public" in cache_control
    max_age = next(int(p.split("=")[1]) for p in cache_control if p.startswith("max-age="))
    assert 5 <= max_age <= 60
    assert any(p.startswith("stale-while-revalidate=") for p in cache_control)
    assert any(p.startswith("stale-if-error=") for p in cache_control)
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response


def test_it_answers_304_to_a_conditional_request(client: Client, published) -> None:
    first = client.get("/api/tally")
    again = client.get("/api/tally", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Access-Control-Allow-Origin"] == "*"
    since = client.get("/api/tally", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = client.get("/api/tally", HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_new_figure_changes_the_etag(client: Client, published) -> None:
    first = client.get("/api/tally")
    confirm(make_pledge("cy@example.org"))
    tally_recompute()
    second = client.get("/api/tally", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second.json()["people"] == 3


def test_it_never_counts_rows_on_a_request(client: Client, published, django_assert_max_num_queries) -> None:
    client.get("/api/tally")  # warm
    with django_assert_max_num_queries(0):
        assert client.get("/api/tally").status_code == 200


def test_on_a_cold_cache_it_reads_one_snapshot_row(
    client: Client, published, django_assert_num_queries
) -> None:
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(1) as captured:
        assert client.get("/api/tally").json()["people"] == 2
    assert "tally_tallysnapshot" in captured.captured_queries[0]["sql"]


def test_it_reads_the_snapshot_row_when_redis_is_down(client: Client, published, redis_down) -> None:
    response = client.get("/api/tally")
    assert response.status_code == 200
    assert response.json()["total"] == 1_523_440


def test_before_the_first_computation_it_answers_zero(client: Client) -> None:
    body = client.get("/api/tally").json()
    assert (body["total"], body["display"], body["people"], body["reported"]) == (0, "0", 0, 0)


def test_it_refuses_writes(client: Client) -> None:
    assert client.post("/api/tally").status_code == 405


def test_the_daily_open_data_has_counts_and_no_personal_data(client: Client, published) -> None:
    csv = client.get("/api/tally/daily.csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert csv["Access-Control-Allow-Origin"] == "*"
    lines = csv.content.decode().splitlines()
    assert lines[0] == "date,country,kinds,people"
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 2
    assert "@" not in csv.content.decode()
    data = client.get("/api/tally/daily.json")
    assert data["Access-Control-Allow-Origin"] == "*"
    days = data.json()["days"]
    assert sum(d["people"] for d in days) == 2
    assert days[-1]["by_kind"] == {"cancelled": 1, "shared": 2}
    assert "@" not in data.content.decode()


def test_with_a_local_copy_most_requests_touch_neither_redis_nor_the_database(
    client: Client, published, settings, django_assert_max_num_queries, monkeypatch
) -> None:
    from django.core.cache import cache

    from tally import selectors

    settings.TALLY_LOCAL_CACHE_SECONDS = 60
    monkeypatch.setattr(selectors, "_local", None)  # the process's copy is forgotten after the test
    client.get("/api/tally")
    cache.clear()  # even with Redis emptied, the process's copy answers: no query, no count
    with django_assert_max_num_queries(0):
        assert client.get("/api/tally").json()["people"] == 2
    # A new publication in this process replaces the copy at once.
    confirm(make_pledge("cy@example.org"))
    tally_recompute()
    assert client.get("/api/tally").json()["people"] == 3
