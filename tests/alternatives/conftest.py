from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from alternatives.models import Alternative

_numbers = itertools.count(1)


@pytest.fixture
def make_alternative(db) -> Callable[..., Alternative]:
    """Create an entry; published, listed and verified unless told otherwise."""

    def make(**kwargs) -> Alternative:
        n = next(_numbers)
        kwargs.setdefault("name", f"Alt {n}")
        kwargs.setdefault("slug", f"alt-{n}")
        kwargs.setdefault("summary_en", f"Summary {n}")
        kwargs.setdefault("published", True)
        kwargs.setdefault("needs_review", False)
        kwargs.setdefault("order", n)
        return Alternative.objects.create(**kwargs)

    return make


@pytest.fixture
def empty_directory(db) -> None:
    """Remove the seeded entries so that a test sees only what it creates."""
    Alternative.objects.all().delete()


@pytest.fixture
def seeded(db) -> None:
    """The data migration's entries. A transactional test elsewhere may have flushed them: put them back."""
    if not Alternative.objects.filter(slug="grok").exists():
        from importlib import import_module

        from django.apps import apps

        import_module("alternatives.migrations.0002_seed_campaign_directory").seed(apps, None)
        import_module("alternatives.migrations.0004_fill_confer_and_alpine").fill(apps, None)
