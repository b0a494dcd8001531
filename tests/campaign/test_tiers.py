"""Three tiers, as the campaign has them: "I deleted my ChatGPT account" beside cancelled and shared."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from pledges.models import Pledge
from tally.services import tally_recompute

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_form_offers_the_three_tiers_strongest_first(client) -> None:
    html = client.get("/pledge/").content.decode()
    deleted, cancelled, shared = (
        html.index('value="deleted"'),
        html.index('value="cancelled"'),
        html.index('value="shared"'),
    )
    assert deleted < cancelled < shared
    assert "I deleted my ChatGPT account" in html
    assert "J\u2019ai supprimé mon compte ChatGPT" in client.get("/fr/pledge/").content.decode()


def test_the_short_home_form_offers_the_three_tiers_too(client) -> None:
    html = client.get("/").content.decode()
    form = html[html.index('class="pledge-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="quick"' in form
    assert form.index('value="deleted"') < form.index('value="cancelled"') < form.index('value="shared"')


def test_the_short_form_records_a_deleted_account(client) -> None:
    data = {"quick": "1", "kinds": ["deleted"], "email": "quick@example.org"}
    response = client.post("/pledge/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 303
    assert list(Pledge.objects.values_list("kind", flat=True)) == ["deleted"]


def test_it_counts_a_deleted_account_under_its_own_key_and_the_person_once(join, client) -> None:
    join("ada@example.org", kinds=("deleted", "cancelled", "shared"))
    join("bob@example.org", kinds=("deleted",))
    tally_recompute()
    body = client.get("/api/tally").json()
    assert body["people"] == 2  # one person, whatever tiers they chose
    assert body["by_kind"] == {"cancelled": 1, "shared": 1, "deleted": 2}
    rows = client.get("/api/tally/daily.csv").content.decode().splitlines()
    assert sorted(row.split(",")[2] for row in rows[1:]) == ["cancelled+deleted+shared", "deleted"]
    assert client.get("/api/tally/daily.json").json()["days"][-1]["by_kind"]["deleted"] == 2


def test_the_database_refuses_a_kind_that_is_not_a_tier(join) -> None:
    pledge, _ = join("ada@example.org")
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("UPDATE pledges_pledge SET kind = 'quit' WHERE id = %s", [pledge.pk])


def test_the_database_accepts_the_deleted_kind() -> None:
    from tests.pledges.conftest import make_pledge

    assert make_pledge(kind="deleted").kind == "deleted"
    assert Pledge.objects.filter(kind="deleted").count() == 1


def test_how_we_count_names_the_tier_and_says_a_person_counts_once(join, client) -> None:
    join("ada@example.org", kinds=("deleted",))
    tally_recompute()
    html = client.get("/how-we-count/").content.decode()
    assert "confirmed they deleted their ChatGPT account" in html
    assert "A person counts once in the total whatever tiers they chose" in html


def test_the_badge_speaks_of_the_boycott_not_of_one_tier(join, client) -> None:
    join("ada@example.org", kinds=("deleted",))
    tally_recompute()
    svg = client.get("/badge.svg").content.decode()
    assert "1 in the boycott" in svg
    assert "quit" not in svg.lower().replace("quitgpt", "")
    assert "1 dans le boycott" in client.get("/badge.svg?lang=fr").content.decode()
