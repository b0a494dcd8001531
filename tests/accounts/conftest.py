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
