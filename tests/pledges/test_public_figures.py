"""Issue 16, finding 5: the published figures move the same way whether a submitted address had
pledged or not, so that nobody learns it by watching /api/tally."""

from __future__ import annotations

import pytest

from pledges.models import Pledge, PledgeSettings
from tally.services import tally_recompute
from tests.factories import make_pledge

pytestmark = pytest.mark.django_db


def _public(client) -> dict:
    tally_recompute()
    body = client.get("/api/tally").json()
    return {key: body[key] for key in ("total", "people", "by_kind", "by_country", "held")}


@pytest.mark.parametrize("flagged", [False, True])
def test_a_known_and_an_unknown_address_move_the_figures_the_same_way(client, sign, outbox, flagged) -> None:
    if flagged:  # every submission over the per-IP limits: flagged as suspicious
        PledgeSettings.objects.update_or_create(pk=1, defaults={"short_limit": 0, "long_limit": 0})
    make_pledge("confirmed@example.org", status="confirmed")
    make_pledge("pending@example.org")
    make_pledge("withdrawn@example.org", status="withdrawn", confirmed_at=None)
    make_pledge("spam@example.org", status="spam")
    before = _public(client)
    for known in (
        "confirmed@example.org",
        "pending@example.org",
        "withdrawn@example.org",
        "spam@example.org",
    ):
        sign(email=known, ip="203.0.113.5")
        assert _public(client) == before, known
    sign(email="unknown@example.org", ip="203.0.113.5")
    assert Pledge.objects.filter(email="unknown@example.org").exists()
    assert _public(client) == before
