"""Person data on the supporter: one first name, country, message, consents and language per person,
whatever kinds they pledged; the migration that moved them there keeps every count and every consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledges.models import Pledge, Supporter
from pledges.services import pledge_approve_wall, supporter_update
from tally.selectors import daily_buckets, tally_current
from tally.services import tally_recompute, tally_recount
from tests.pledges.conftest import make_pledge

BEFORE = [("pledges", "0003_disposable_domains_and_settings")]
# Back to the latest migration of every app (not a fixed name: later migrations must be re-applied, or
# the tests after this one would run on an old schema).
AFTER = "latest"


@pytest.mark.django_db
def test_the_wall_shows_a_person_once_with_one_message(client) -> None:
    first = make_pledge(
        email="ada@example.org",
        kind="cancelled",
        status="confirmed",
        first_name="Ada",
        message="One voice, one message",
        wall_consent=True,
        message_approved=True,
    )
    make_pledge(email="ada@example.org", kind="shared", status="confirmed", supporter=first.supporter)
    html = client.get("/supporters/").content.decode()
    assert html.count("Ada") == 1 and html.count("One voice, one message") == 1
    assert html.count('class="wall-entry') == 1
    assert "I cancelled my paid ChatGPT subscription" in html and "I shared the boycott" in html


@pytest.mark.django_db
def test_approving_a_person_covers_all_their_pledges(client, admin_user) -> None:
    first = make_pledge(email="bo@example.org", status="confirmed", first_name="Bo", wall_consent=True)
    second = make_pledge(email="bo@example.org", kind="shared", status="confirmed", supporter=first.supporter)
    assert "<strong>Bo</strong>" not in client.get("/supporters/").content.decode()
    assert pledge_approve_wall(pledges=[second], actor=admin_user) == 1
    assert Supporter.objects.get(pk=first.supporter_id).message_approved
    cache.clear()  # the wall's bytes are cached for a few seconds
    assert client.get("/supporters/").content.decode().count("<strong>Bo</strong>") == 1


@pytest.mark.django_db
def test_supporter_update_writes_one_row() -> None:
    first = make_pledge(email="cy@example.org", status="confirmed", first_name="Cy", message_approved=True)
    make_pledge(email="cy@example.org", kind="shared", status="confirmed", supporter=first.supporter)
    with CaptureQueriesContext(connection) as queries:
        supporter_update(
            supporter=first.supporter, first_name="Cyril", wall_consent=True, updates_consent=True
        )
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert writes and all(Supporter._meta.db_table in sql for sql in writes)
    assert not any(Pledge._meta.db_table in sql for sql in writes)
    person = Supporter.objects.get(pk=first.supporter_id)
    assert (person.first_name, person.wall_consent, person.updates_consent) == ("Cyril", True, True)
    assert person.message_approved is False  # a new name goes back to moderation


@pytest.mark.django_db
def test_the_breakdown_by_country_reads_the_persons_country_and_the_open_data_agree() -> None:
    for n, country in enumerate(["FR", "FR", "DE"]):
        make_pledge(email=f"p{n}@example.org", status="confirmed", country=country)
    both = make_pledge(email="two@example.org", status="confirmed", country="IT")
    make_pledge(email="two@example.org", kind="shared", status="confirmed", supporter=both.supporter)
    tally_recompute()
    assert tally_current()["by_country"] == {"FR": 2, "DE": 1, "IT": 1}
    Supporter.objects.filter(pk=both.supporter_id).update(country="DE", tally_dirty=True)
    tally_recompute()
    current = tally_current()
    assert current["by_country"] == {"FR": 2, "DE": 2}
    by_country: dict[str, int] = {}
    for _day, country, _kinds, n in daily_buckets():
        by_country[country] = by_country.get(country, 0) + n
    assert by_country == current["by_country"] and sum(by_country.values()) == current["people"] == 4
    recount = tally_recount()
    assert recount is not None and recount.drift == 0 and recount.mismatched_buckets == 0


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if targets == AFTER:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_count_and_every_consent() -> None:
    _migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        OldSupporter = apps.get_model("pledges", "Supporter")
        OldPledge = apps.get_model("pledges", "Pledge")
        early = datetime(2026, 3, 1, 9, tzinfo=UTC)
        codes = iter(range(1000))

        def pledge(supporter, kind, **fields):
            fields.setdefault("status", "confirmed")
            if fields["status"] == "confirmed":
                fields.setdefault("confirmed_at", early)
            fields.setdefault("email", supporter.email_normalised)
            return OldPledge.objects.create(
                supporter=supporter,
                kind=kind,
                email_normalised=supporter.email_normalised,
                share_code=f"mig{next(codes)}",
                **fields,
            )

        ada = OldSupporter.objects.create(email_normalised="ada@example.org")
        # Published on the wall through the first pledge; the second consented to updates only, and
        # names another country, confirmed later: the count keeps the earliest one (GB).
        pledge(
            ada,
            "cancelled",
            first_name="Ada",
            country="GB",
            message="Bye",
            message_approved=True,
            wall_consent=True,
            language="en",
        )
        pledge(
            ada,
            "shared",
            first_name="Ada L",
            country="FR",
            updates_consent=True,
            language="fr",
            confirmed_at=early + timedelta(days=2),
        )
        bea = OldSupporter.objects.create(email_normalised="bea@example.org")
        pledge(
            bea,
            "cancelled",
            status="pending",
            first_name="Bea",
            country="DE",
            updates_consent=True,
            language="fr",
            confirmed_at=None,
        )
        cid = OldSupporter.objects.create(email_normalised="cid@example.org")
        pledge(
            cid,
            "cancelled",
            status="withdrawn",
            first_name="Cid",
            country="ES",
            wall_consent=True,
            withdrawn_at=timezone.now(),
        )
        dee = OldSupporter.objects.create(email_normalised="dee@example.org")
        pledge(
            dee,
            "shared",
            first_name="Dee",
            country="FR",
            message="Unread",
            message_approved=False,
            wall_consent=True,
        )
        erased = OldSupporter.objects.create(email_normalised="erased-x")
        pledge(erased, "cancelled", status="withdrawn", email="", country="")
        # The old rule, by hand: a person counts once, in the country of their earliest counted pledge.
        expected_by_country = {"GB": 1, "FR": 1}
    finally:
        _migrate(AFTER)

    people = {s.email_normalised: s for s in Supporter.objects.all()}
    ada, bea, cid, dee = (people[f"{n}@example.org"] for n in ("ada", "bea", "cid", "dee"))
    assert (ada.first_name, str(ada.country), ada.message, ada.message_approved, ada.wall_consent) == (
        "Ada",
        "GB",
        "Bye",
        True,
        True,
    )
    assert ada.updates_consent and ada.language == "en"  # a consent given on one pledge stays given
    assert (bea.first_name, str(bea.country), bea.updates_consent, bea.language) == ("Bea", "DE", True, "fr")
    assert (cid.first_name, str(cid.country), cid.wall_consent) == ("Cid", "ES", True)
    assert (dee.message, dee.message_approved, dee.wall_consent) == ("Unread", False, True)
    assert people["erased-x"].first_name == "" and not people["erased-x"].wall_consent
    assert list(Supporter.objects.on_wall().values_list("first_name", flat=True)) == ["Ada"]
    Supporter.objects.update(tally_dirty=True)
    tally_recompute()
    current = tally_current()
    assert current["people"] == 2 and current["by_country"] == expected_by_country
    recount = tally_recount()
    assert recount is not None and recount.drift == 0 and recount.mismatched_buckets == 0

    # And back: each pledge gets its person's details again.
    _migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        rows = apps.get_model("pledges", "Pledge").objects.filter(email_normalised="ada@example.org")
        assert {(p.first_name, p.country, p.wall_consent, p.updates_consent) for p in rows} == {
            ("Ada", "GB", True, True)
        }
    finally:
        _migrate(AFTER)
