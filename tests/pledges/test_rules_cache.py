"""The signing rules (settings row, block lists) cached per process under a shared version number
(pledges.rules): no rule row read per submission once warm, and an organiser's change applies at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledges import rules
from pledges.models import BlockedAddress, BlockedDomain, Pledge, PledgeSettings

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

RULE_TABLES = ("pledges_pledgesettings", "pledges_blocked")


@pytest.fixture
def cached_rules(settings):
    settings.PLEDGES_RULES_CACHE_SECONDS = 60
    rules.bump_rules_version()
    yield
    rules.bump_rules_version()


def test_a_warm_process_reads_no_rule_row_to_sign(sign, cached_rules) -> None:
    sign(email="warm@example.org", ip="192.0.2.1")
    with CaptureQueriesContext(connection) as queries:
        response = sign(email="new@example.org", ip="192.0.2.2")
    assert response.status_code == 303
    assert Pledge.objects.filter(email_normalised="new@example.org").exists()
    read = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in RULE_TABLES)]
    assert read == []


def test_a_new_blocked_domain_applies_at_once_even_on_a_process_holding_the_old_rules(
    sign, cached_rules, django_capture_on_commit_callbacks
) -> None:
    sign(email="warm@example.org", ip="192.0.2.1")
    other_process_copy = rules._local
    with django_capture_on_commit_callbacks(execute=True):
        BlockedDomain.objects.create(domain="spam.example")
    rules._local = other_process_copy  # as another process would still hold it
    assert sign(email="a@spam.example", ip="192.0.2.3").status_code == 303
    assert not Pledge.objects.filter(email_normalised="a@spam.example").exists()


def test_a_pause_saved_by_an_organiser_stops_signing_at_once(
    sign, cached_rules, django_capture_on_commit_callbacks
) -> None:
    sign(email="warm@example.org", ip="192.0.2.1")
    with django_capture_on_commit_callbacks(execute=True):
        config = PledgeSettings.load()
        config.signing_paused = True
        config.save()
    assert sign(email="late@example.org", ip="192.0.2.4").status_code == 503
    assert not Pledge.objects.filter(email_normalised="late@example.org").exists()


def test_with_the_cache_down_every_submission_reads_the_rows(sign, settings, redis_down) -> None:
    settings.PLEDGES_RULES_CACHE_SECONDS = 60
    BlockedAddress.objects.create(email_normalised="troll@example.org")
    assert sign(email="troll@example.org", ip="192.0.2.5").status_code == 303
    assert not Pledge.objects.filter(email_normalised="troll@example.org").exists()
    assert sign(email="fine@example.org", ip="192.0.2.6").status_code == 303
    assert Pledge.objects.filter(email_normalised="fine@example.org").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_in_production_a_new_signature_takes_one_statement(sign, cached_rules, settings) -> None:
    # Outside any transaction, as a request runs: one statement writes the supporter, looks up the
    # spam tombstone, inserts the pledges (the first one owing its email) and their sources for the
    # fraud watch (campaign.sources): no BEGIN or COMMIT, no rule row, no SELECT of the supporter, no
    # savepoint, no task published (the batch sends the email).
    from campaign.models import PledgeSource

    settings.PLEDGES_EMAIL_BATCH_SECONDS = 2
    PledgeSettings.load()  # created once (which bumps the rules' version), as on a running site
    sign(email="warm@example.org", ip="192.0.2.1")
    with CaptureQueriesContext(connection) as queries:
        assert (
            sign(email="new@example.org", kinds=["cancelled", "deleted"], ip="192.0.2.2").status_code == 303
        )
    assert len(queries.captured_queries) == 1, [q["sql"][:60] for q in queries.captured_queries]
    pledges = Pledge.objects.filter(email_normalised="new@example.org")
    assert pledges.count() == 2 and pledges.exclude(email_owed="").count() == 1
    assert PledgeSource.objects.filter(pledge__in=pledges, domain="example.org").count() == 2


def test_a_warm_process_asks_redis_once_per_signature(sign, cached_rules, monkeypatch) -> None:
    # The rules' version is read in the same script call as the client's counters (pledges.abuse.admit).
    import redis

    commands = []
    real = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    PledgeSettings.load()
    sign(email="warm@example.org", ip="192.0.2.1")
    commands.clear()
    assert sign(email="once@example.org", ip="192.0.2.7").status_code == 303
    assert commands == ["EVALSHA"]
    assert Pledge.objects.filter(email_normalised="once@example.org").exists()
