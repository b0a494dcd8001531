from __future__ import annotations

import pytest

from tests.accounts.helpers import make_organiser, make_user


@pytest.fixture
def organiser(db):
    """A staff user with a password and a verified address, no TOTP yet, no role."""
    return make_organiser()


@pytest.fixture
def supporter(db):
    """A passwordless supporter with a verified address."""
    return make_user()


@pytest.fixture(autouse=True)
def _owed_emails_enqueued_at_once(monkeypatch):
    """allauth's emails are owed through the outbox and enqueued on commit; these tests run inside one
    transaction that never commits, so enqueue (and, inline, send) at once. tests/outbox tests the real
    commit path against a real SMTP listener and worker."""
    monkeypatch.setattr("outbox.services.transaction.on_commit", lambda fn, robust=False: fn())
