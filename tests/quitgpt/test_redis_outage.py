"""Redis down: public and signed-in pages answer, organisers sign in, and the sign-in limits still hold.

Sessions live in the database (never in the cache), and the cache falls back to a database table while
Redis is unreachable (quitgpt/cache.py), so allauth's rate limits and TOTP replay markers keep working.
The `redis_down` tests point the cache at a port where nothing listens; the last test runs a private
redis-server and stops it in the middle, as an outage does.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import Client

from quitgpt.models import CacheFallbackEntry
from tests.accounts.helpers import PASSWORD, add_totp, code_from_mail, make_organiser, totp_code
from tests.conftest import free_port, missing

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_signed_in_supporters_pages_answer_while_redis_is_down(redis_down, alice) -> None:
    client = signed_in(alice)
    for path in ("/api/tally", "/", "/pledge/", "/accounts/pledges/", "/alternatives/", "/events/"):
        assert client.get(path).status_code == 200, path


def test_an_organiser_signs_in_with_password_and_totp_while_redis_is_down(client: Client, redis_down) -> None:
    organiser = make_organiser(is_superuser=True)
    secret = add_totp(organiser)
    response = client.post("/accounts/login/?next=/admin/", {"login": organiser.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate/")
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/tally").status_code == 200
    # The limits and the replay marker were kept in the database while Redis was away.
    assert CacheFallbackEntry.objects.exists()


def test_a_used_totp_code_cannot_be_replayed_while_redis_is_down(redis_down) -> None:
    organiser = make_organiser(is_superuser=True)
    secret = add_totp(organiser)
    first, second = Client(), Client()
    code = totp_code(secret)
    first.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    second.post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    replay = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200 and second.get("/admin/").status_code == 302


def test_code_sign_in_works_while_redis_is_down(client: Client, redis_down, alice) -> None:
    response = client.post("/accounts/login/code/", {"email": "alice@example.org"})
    assert response.status_code == 302
    response = client.post("/accounts/login/code/confirm/", {"code": code_from_mail(mail.outbox[-1])})
    assert response.status_code == 302
    assert client.get("/accounts/pledges/").status_code == 200


def test_wrong_passwords_are_still_limited_while_redis_is_down(redis_down) -> None:
    organiser = make_organiser()
    for _ in range(5):
        assert (
            Client().post("/accounts/login/", {"login": organiser.email, "password": "guess"}).status_code
            == 200
        )
    response = Client().post("/accounts/login/", {"login": organiser.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content


def test_healthz_still_reports_the_cache_down_although_requests_carry_on(client: Client, redis_down) -> None:
    body = client.get("/healthz").json()
    assert body["checks"]["cache"]["status"] == "down"


# --- A real Redis, stopped in the middle ---------------------------------------------------------------
class PrivateRedis:
    """A redis-server of our own on a free port (never the shared one), that a test stops and restarts."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def keys(self) -> int:
        import redis

        return redis.Redis.from_url(self.url).dbsize()


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    """A private redis-server used as the cache, as in production (the project's backend)."""
    executable = shutil.which("redis-server")
    if not executable:
        missing("redis-server", "apt-get install redis-server")
    server = PrivateRedis(executable)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "quitgpt.cache.RedisWithDatabaseFallback",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield server
    server.stop()


def test_an_organiser_stays_signed_in_and_can_sign_in_again_when_redis_stops(private_redis) -> None:
    organiser = make_organiser(is_superuser=True)
    secret = add_totp(organiser)
    client = Client()
    client.post("/accounts/login/?next=/admin/", {"login": organiser.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200
    # While Redis answers, the limits are counted in Redis, not in the fallback table.
    assert private_redis.keys() > 0
    assert not CacheFallbackEntry.objects.exists()

    private_redis.stop()

    started = time.monotonic()
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/tally").status_code == 200
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/admin/").status_code == 302
    # Another organiser signs in during the outage (password, then TOTP).
    other = make_organiser("ines@example.org", is_superuser=True)
    other_secret = add_totp(other)
    again = Client()
    response = again.post("/accounts/login/?next=/admin/", {"login": other.email, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    again.post("/accounts/2fa/authenticate/", {"code": totp_code(other_secret)})
    assert again.get("/admin/").status_code == 200
    # One failed connection per node and period, not one timeout per cache call.
    assert time.monotonic() - started < 5
    assert CacheFallbackEntry.objects.exists()


def test_when_redis_returns_the_cache_uses_it_again_and_empties_the_fallback(
    private_redis, monkeypatch
) -> None:
    monkeypatch.setattr("quitgpt.cache.RETRY_SECONDS", 0.2)
    organiser = make_organiser()
    private_redis.stop()
    for _ in range(2):  # counted in the fallback table while Redis is away
        Client().post("/accounts/login/", {"login": organiser.email, "password": "guess"})
    assert CacheFallbackEntry.objects.exists()

    private_redis.start()  # an empty Redis, as after a restart
    time.sleep(0.3)
    Client().post("/accounts/login/", {"login": organiser.email, "password": "guess"})
    assert private_redis.keys() > 0
    assert not CacheFallbackEntry.objects.exists()
