"""Factories for the updates tests: consenting supporters and updates."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_pledge
from updates import services


def make_subscriber(**kwargs):
    """A supporter with a confirmed pledge and the updates consent."""
    kwargs.setdefault("status", "confirmed")
    kwargs.setdefault("updates_consent", True)
    return make_pledge(**kwargs)


def make_update(**kwargs):
    kwargs.setdefault("subject_en", "News from the boycott")
    kwargs.setdefault("body_en", "We are **many**. [Read more](https://quitgpt.example/news)")
    kwargs.setdefault("subject_fr", "Nouvelles du boycott")
    kwargs.setdefault("body_fr", "Nous sommes **nombreux**.")
    return services.update_create(**kwargs)


@pytest.fixture
def organisers(db):
    User = get_user_model()
    alice = User.objects.create_user(
        "alice", "alice@example.org", "pw-alice-123456", is_staff=True, is_superuser=True
    )
    bob = User.objects.create_user(
        "bob", "bob@example.org", "pw-bob-1234567", is_staff=True, is_superuser=True
    )
    return alice, bob


@pytest.fixture
def no_rate_limit(settings):
    settings.UPDATES_RATE_PER_SECOND = 0
    settings.UPDATES_REQUIRE_APPROVAL = False
