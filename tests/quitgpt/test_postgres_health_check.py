"""quitgpt.postgres: the health check of a persistent connection sends nothing when the connection is
idle and the server said nothing, and still finds a connection the server has hung up on."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def last_query_of(pid: int) -> str:
    with other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_an_idle_healthy_connection_is_checked_without_a_query() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last thing this connection ran'")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    assert last_query_of(pid) == "SELECT 'the last thing this connection ran'"


def test_a_connection_the_server_hung_up_on_is_found_and_replaced() -> None:
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    deadline = time.monotonic() + 5
    while connection.is_usable():  # the server's goodbye reaches the socket within moments
        assert time.monotonic() < deadline, "the terminated connection still looks usable"
        time.sleep(0.02)
    # What Django does before a request's first query: a new connection, and the query works.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
