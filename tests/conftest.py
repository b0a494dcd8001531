"""Shared fixtures. The real services are used when DATABASE_URL / REDIS_URL point at them.

Tests that need a part mark it: @pytest.mark.postgres, @pytest.mark.redis, @pytest.mark.browser,
@pytest.mark.celery_worker. When the part is missing such a test is skipped on a laptop but *fails*
with CI=true, so that CI can never pass by skipping what it was meant to prove.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(part: str, why: str) -> None:
    """Fail in CI, skip elsewhere."""
    message = f"{part} is needed: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service is a failure, not a skip)")
    pytest.skip(message)


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") or item.get_closest_marker("celery_worker"):
        if not settings.USING_POSTGRES:
            missing("PostgreSQL", "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/quitgpt")
    if item.get_closest_marker("redis") or item.get_closest_marker("celery_worker"):
        if not _redis_reachable():
            missing("Redis", "set REDIS_URL=redis://127.0.0.1:6379/1 and start redis-server")
    if item.get_closest_marker("browser") and not shutil.which("chromium"):
        missing("Chromium", "apt-get install chromium")


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def _celery_inline() -> Iterator[None]:
    """Tasks run inline in tests unless a test starts a real worker (the celery_worker fixture)."""
    from quitgpt.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    from quitgpt.cache import _retry_at

    yield
    _retry_at.clear()  # each test starts with Redis assumed reachable
    try:
        cache.clear()
    except Exception:  # a test that stopped Redis on purpose
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings) -> str:
    """Point the cache and the broker at a port where nothing listens, as when Redis has died."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = dead
    settings.CACHES = {
        "default": {
            "BACKEND": "quitgpt.cache.RedisWithDatabaseFallback",  # as in production (quitgpt/settings.py)
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    return dead


@pytest.fixture
def broker_down() -> Iterator[str]:
    """Send tasks for real (not inline) to a broker where nothing listens, as when Redis has died."""
    from quitgpt.celery import app

    dead = f"redis://127.0.0.1:{free_port()}/0"
    saved = app.conf.broker_url, app.conf.task_always_eager

    def forget_connections() -> None:  # both pools would keep a connection to the live broker
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url, app.conf.task_always_eager = dead, False
    forget_connections()
    try:
        yield dead
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        forget_connections()


@pytest.fixture
def break_database(monkeypatch):
    """`break_database()`: from then on every query fails as when PostgreSQL is unreachable."""
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    def cut() -> None:
        monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)

    return cut


# --- One cast of personas (healthchecks' alice, bob and charlie) ---------------------------------------
# alice owns what the test is about; bob is another signed-in person; charlie, the anonymous visitor, is
# the plain `client`. Organisers are made by tests.accounts.helpers.make_organiser; the superuser is
# pytest-django's `admin_user` (signed in with MFA as `admin_client`).
@pytest.fixture
def alice(db):
    """A supporter signed up with alice@example.org (verified), who also added two addresses she never
    verified: they prove nothing, so nothing sent to them is hers."""
    from allauth.account.models import EmailAddress

    from tests.factories import make_user

    user = make_user("alice@example.org")
    EmailAddress.objects.create(user=user, email="alice.other@gmail.com", verified=False, primary=False)
    EmailAddress.objects.create(user=user, email="notalice@example.org", verified=False, primary=False)
    return user


@pytest.fixture
def bob(db):
    """Another supporter, signed up with bob@example.org (verified)."""
    from tests.factories import make_user

    return make_user("bob@example.org")


# --- A real SMTP listener -----------------------------------------------------------------------------
class Mailbox:
    """Messages received by the SMTP listener, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._lock:
            msg = message_from_bytes(envelope.original_content or envelope.content)
            msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(msg)
            self._lock.notify_all()
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} email(s), got {len(self.messages)} in {timeout}s")
                self._lock.wait(remaining)
            return list(self.messages)

    @staticmethod
    def text_of(msg: Message, subtype: str = "plain") -> str:
        for part in msg.walk():
            if part.get_content_type() == f"text/{subtype}":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        raise AssertionError(f"no text/{subtype} part")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, int, Mailbox]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, mailbox
    controller.stop()


@pytest.fixture
def smtp_mailbox(smtp_server, settings) -> Mailbox:
    """Route this test's email through a real SMTP listener, with production's backend (the commit point
    at the final dot, quitgpt/smtp.py); returns its mailbox."""
    host, port, mailbox = smtp_server
    mailbox.clear()
    settings.EMAIL_BACKEND = "quitgpt.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return mailbox


@pytest.fixture
def own_redis() -> Iterator[str]:
    """A private redis-server on a free port (its URL): a broker no other worker of the session reads."""
    if not shutil.which("redis-server"):
        missing("redis-server", "the crash scenario starts its own Redis")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


# --- A real Celery worker -----------------------------------------------------------------------------
def _database_url_for_tests() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, smtp_server, tmp_path_factory
) -> Iterator[Worker]:
    """A real `celery -A quitgpt worker` on the test database, the real Redis broker and our SMTP listener.

    Tests using it must be transactional (`@pytest.mark.django_db(transaction=True)`) so that the worker
    sees their rows, and must set the app's eager flag off (use the `celery_worker` fixture).
    """
    if not settings.USING_POSTGRES:
        missing("PostgreSQL", "the worker needs a database shared across processes")
    if not _redis_reachable():
        missing("Redis", "the worker needs the broker")
    host, port, _ = smtp_server
    with django_db_blocker.unblock():
        database_url = _database_url_for_tests()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_HOST": host,
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "0",
        "SITE_URL": settings.SITE_URL,
        "DJANGO_DEBUG": "1",
    }
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "quitgpt",
                "worker",
                "--pool=solo",  # the contract's plain command, no -Q: it must consume every queue
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log)
    deadline = time.monotonic() + 30
    while "ready." not in worker.output():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the Celery worker did not start:\n" + worker.output()[-3000:])
        time.sleep(0.2)
    yield worker
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def celery_worker(celery_worker_process, smtp_mailbox) -> Iterator[Worker]:
    """Enqueue for real (not inline) during this test, to the running worker."""
    from quitgpt.celery import app

    app.conf.task_always_eager = False
    smtp_mailbox.clear()
    yield celery_worker_process
    app.conf.task_always_eager = True


# --- A real browser -----------------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = shutil.which("chromium")
    if not executable:
        missing("Chromium", "apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous, so they are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


# --- Organisers: the admin requires TOTP MFA of staff (accounts.middleware) ----------------------------
def login_with_mfa(client, user) -> None:
    """Sign `user` in as allauth leaves a session after password + TOTP code.

    Gives the user a TOTP authenticator if they have none, logs in, and records the MFA step in the
    session through allauth's own `record_authentication`, so that the admin lets staff in.
    """
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user)
    session = client.session
    request = RequestFactory().get("/")
    request.session = session
    record_authentication(request, user, method="mfa", id=authenticator.pk, type="totp")
    session.save()


@pytest.fixture
def mfa_login():
    """`mfa_login(client, user)`: sign a staff user in with MFA done, as the admin requires."""
    return login_with_mfa


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client, signed in with MFA done (a bare force_login is refused by the admin)."""
    from django.test import Client

    client = Client()
    login_with_mfa(client, admin_user)
    return client
