"""allauth's emails (sign-in and verification codes) are owed, then sent by a task: a dead or slow relay
never fails or blocks the request, and leaves no half-made account."""

from __future__ import annotations

import asyncio
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from outbox.models import OutboundEmail
from outbox.services import outbox_send_owed
from tests.accounts.helpers import code_from_mail
from tests.conftest import free_port
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 2


class _Slow:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(8)
        return "250 OK"


@pytest.fixture
def smtp_slow(settings):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(_Slow(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 20
    yield
    controller.stop()


def _age_owed_rows() -> None:
    from datetime import timedelta

    from django.utils import timezone

    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))


def test_with_smtp_down_sign_up_answers_and_the_code_arrives_once_it_is_back(
    smtp_down, settings, smtp_server
) -> None:
    client = Client()
    response = client.post("/accounts/signup/", {"email": "new@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    user = get_user_model().objects.get(email="new@example.org")
    assert EmailAddress.objects.filter(user=user, verified=False).exists()
    owed = OutboundEmail.objects.get(sent_at__isnull=True)
    assert owed.to == "new@example.org"

    # The relay is back: the sweep sends the owed code, and the sign-up finishes with it.
    host, port, mailbox = smtp_server
    mailbox.clear()
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, port
    _age_owed_rows()
    assert outbox_send_owed() == 1
    [message] = mailbox.wait_for(1)
    code = code_from_mail_message(message)
    response = client.post("/accounts/confirm-email/", {"code": code})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    sent = OutboundEmail.objects.get()
    assert sent.sent_at is not None and sent.text == ""  # the code is not kept once sent
    assert outbox_send_owed() == 0  # never twice


def code_from_mail_message(message) -> str:
    from tests.conftest import Mailbox

    class _M:
        body = Mailbox.text_of(message)

    return code_from_mail(_M)


def test_with_smtp_down_code_sign_in_answers(smtp_down) -> None:
    make_user(email="sam@example.org")
    response = Client().post("/accounts/login/code/", {"email": "sam@example.org"})
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(to="sam@example.org", sent_at__isnull=True).count() == 1


@pytest.mark.celery_worker
def test_with_smtp_slow_requests_do_not_wait_and_the_worker_sends(
    celery_worker, smtp_mailbox, smtp_slow
) -> None:
    """The request only owes the email; the real worker (on the session's listener) sends it."""
    make_user(email="slow@example.org")
    # This process's relay takes 8 s per message: a request that sent inline would take that long.
    started = time.monotonic()
    response = Client().post("/accounts/login/code/", {"email": "slow@example.org"})
    assert response.status_code == 302
    assert time.monotonic() - started < 3
    [message] = smtp_mailbox.wait_for(1, timeout=30)
    assert message["X-Envelope-To"] == "slow@example.org"
    html = smtp_mailbox.text_of(message, "html")
    assert "<title>" in html and "/privacy/" in smtp_mailbox.text_of(message)
    assert message["Message-ID"] and message["Date"]
