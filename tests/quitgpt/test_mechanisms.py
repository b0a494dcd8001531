"""The shared mechanisms in quitgpt/: each written once, tested here, used by every app."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django import forms
from django.db import transaction
from django.test import Client, RequestFactory
from django.utils import timezone

from quitgpt import optin, ratelimit
from quitgpt.background import enqueue, enqueue_on_commit
from quitgpt.cors import cors
from quitgpt.forms import HoneypotMixin
from quitgpt.i18n import supported_language
from quitgpt.tokens import hash_token, keyed_token, keyed_token_matches, new_token


# --- enqueue after commit -------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_it_enqueues_only_after_the_transaction_commits(mailoutbox) -> None:
    from events.models import Rsvp
    from tests.events.conftest import make_event, make_rsvp

    rsvp = make_rsvp(make_event())
    Rsvp.objects.filter(pk=rsvp.pk).update(email_owed="confirm", email_owed_since=timezone.now())
    with transaction.atomic():
        enqueue_on_commit("events.tasks.send_rsvp_email", rsvp.pk)
        assert mailoutbox == []  # not yet: the row might still roll back
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_sends_nothing_when_the_transaction_rolls_back(mailoutbox) -> None:
    from events.models import Rsvp
    from tests.events.conftest import make_event, make_rsvp

    rsvp = make_rsvp(make_event())
    Rsvp.objects.filter(pk=rsvp.pk).update(email_owed="confirm", email_owed_since=timezone.now())
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("events.tasks.send_rsvp_email", rsvp.pk)
        raise RuntimeError("rolled back")
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_dead_broker_is_logged_and_never_fails_the_committed_request(broker_down, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="quitgpt.background")
    with transaction.atomic():
        enqueue_on_commit("tally.tasks.recompute_tally")
    # No exception reached us, and the log says what was lost and who catches up.
    assert "could not enqueue tally.tasks.recompute_tally" in caplog.text
    assert enqueue("tally.tasks.recompute_tally") is False


# --- private links --------------------------------------------------------------------------------------
def test_a_one_time_token_has_256_bits_and_only_its_hash_is_kept() -> None:
    raw = new_token()
    assert len(raw) == 43 and raw != new_token()
    assert hash_token(raw) == hash_token(raw) and raw not in hash_token(raw) and len(hash_token(raw)) == 64


def test_a_keyed_token_is_stable_per_purpose_and_value_and_checked_exactly() -> None:
    token = keyed_token("pledges.manage", "salt-1")
    assert token == keyed_token("pledges.manage", "salt-1") and len(token) == 64
    assert token != keyed_token("events.rsvp.cancel", "salt-1")
    assert token != keyed_token("pledges.manage", "salt-2")
    assert keyed_token_matches("pledges.manage", "salt-1", token)
    assert not keyed_token_matches(
        "pledges.manage", "salt-1", token[:-1] + ("0" if token[-1] != "0" else "1")
    )
    assert not keyed_token_matches("pledges.manage", "", keyed_token("pledges.manage", ""))  # erased row
    assert not keyed_token_matches("pledges.manage", "salt-1", "x" * 500)


# --- language checks ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [("fr", "fr"), ("en", "en"), ("de", "en"), ("fr-ca", "en"), ("", "en"), (None, "en")],
)
def test_it_keeps_a_shipped_language_and_falls_back_otherwise(code, expected) -> None:
    assert supported_language(code) == expected


def test_the_fallback_language_can_be_chosen(settings) -> None:
    settings.LANGUAGE_CODE = "fr"
    assert supported_language("xx") == "fr"
    assert supported_language("xx", default="en") == "en"


# --- CORS -----------------------------------------------------------------------------------------------
def test_the_cors_decorator_opens_responses_and_answers_the_preflight_itself() -> None:
    from django.http import HttpResponse
    from django.views.decorators.http import require_safe

    calls = []

    @cors
    @require_safe
    def view(request):
        calls.append(request.method)
        return HttpResponse("data")

    rf = RequestFactory()
    response = view(rf.get("/x"))
    assert response["Access-Control-Allow-Origin"] == "*" and response.content == b"data"
    preflight = view(rf.options("/x", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match"))
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert preflight["Access-Control-Allow-Headers"] == "if-none-match"
    assert calls == ["GET"]  # the preflight never reached the view


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/tally", "/api/tally/daily.json", "/api/tally/daily.csv", "/api/alternatives", "/api/events",
     "/events/feed.ics", "/badge.svg"],
)  # fmt: skip
def test_every_public_data_address_is_readable_from_any_site(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(path, HTTP_ORIGIN="https://partner.example")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"


# --- the honeypot ---------------------------------------------------------------------------------------
class _Form(HoneypotMixin, forms.Form):
    name = forms.CharField()


class _Renamed(HoneypotMixin, forms.Form):
    honeypot_name = "nickname"
    website = forms.URLField(required=False, assume_scheme="https")


def test_the_honeypot_is_a_hidden_optional_field_that_marks_a_bot_even_on_invalid_input() -> None:
    assert not _Form({"name": "Ada", "website": ""}).is_bot
    assert not _Form({"name": "Ada", "website": "   "}).is_bot
    bot = _Form({"website": "http://spam.example"})  # invalid too (no name): still a bot
    assert bot.is_bot and not bot.is_valid()
    assert _Form({"name": "Ada", "website": "x"}).is_valid()  # never an error a bot could learn from
    html = str(_Form().honeypot)
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html


def test_a_form_with_a_real_website_field_names_its_honeypot_otherwise() -> None:
    form = _Renamed({"website": "https://real.example", "nickname": ""})
    assert not form.is_bot and form.is_valid() and form.cleaned_data["website"] == "https://real.example"
    assert _Renamed({"nickname": "bot"}).is_bot


def test_every_public_form_uses_the_one_honeypot() -> None:
    from alternatives.forms import SuggestionForm
    from events.forms import RsvpForm
    from pledges.forms import PledgeForm

    for form_class in (PledgeForm, RsvpForm, SuggestionForm):
        assert issubclass(form_class, HoneypotMixin), form_class


# --- per-client limits ----------------------------------------------------------------------------------
@pytest.mark.redis
def test_the_limit_counts_in_redis_and_says_over_past_the_limit() -> None:
    def never() -> int:
        raise AssertionError("the database is not consulted while Redis answers")

    results = [
        ratelimit.over_limit("test:limit:a", limit=3, window=60, count_in_database=never) for _ in range(5)
    ]
    assert results == [False, False, False, True, True]
    assert not ratelimit.over_limit("test:limit:b", limit=3, window=60, count_in_database=never)


def test_the_limit_still_holds_when_the_cache_is_down(redis_down) -> None:
    assert not ratelimit.over_limit("k", limit=3, window=60, count_in_database=lambda: 2)
    assert ratelimit.over_limit("k", limit=3, window=60, count_in_database=lambda: 3)


# --- the owed-email sweep -------------------------------------------------------------------------------
def test_pledges_and_rsvps_are_enrolled_in_the_one_sweep() -> None:
    from events.models import Rsvp
    from pledges.models import Pledge

    models = {owner.model for owner in optin._owners.values()}
    assert {Pledge, Rsvp} <= models


@pytest.mark.django_db
def test_one_sweep_sends_what_every_owner_still_owes_and_only_once(mailoutbox) -> None:
    from events.models import Rsvp
    from pledges.models import Pledge
    from tests.events.conftest import make_event, make_rsvp
    from tests.pledges.conftest import make_pledge

    rsvp = make_rsvp(make_event())
    pledge = make_pledge(email="ada@example.org")
    long_ago = timezone.now() - timedelta(minutes=5)
    Rsvp.objects.filter(pk=rsvp.pk).update(email_owed="confirm", email_owed_since=long_ago, emails_sent=0)
    Pledge.objects.filter(pk=pledge.pk).update(email_owed="confirm", email_owed_since=long_ago, emails_sent=0)
    assert optin.sweep_owed() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([rsvp.email, "ada@example.org"])
    assert optin.sweep_owed() == 0


@pytest.mark.django_db
def test_a_failing_row_is_left_owed_and_the_others_are_sent(mailoutbox, monkeypatch) -> None:
    from events.models import Rsvp
    from tests.events.conftest import make_event, make_rsvp

    good, bad = make_rsvp(make_event()), make_rsvp(make_event())
    long_ago = timezone.now() - timedelta(minutes=5)
    Rsvp.objects.filter(pk__in=[good.pk, bad.pk]).update(email_owed="confirm", email_owed_since=long_ago)
    owner = optin._owners["rsvp"]

    def send(pk: int) -> bool:
        if pk == bad.pk:
            raise ConnectionError("relay down")
        return owner.send(pk)

    monkeypatch.setitem(optin._owners, "rsvp", optin.Owner(model=Rsvp, send=send))
    assert optin.sweep_owed() == 1
    assert [m.to[0] for m in mailoutbox] == [good.email]
    assert Rsvp.objects.get(pk=bad.pk).email_owed == "confirm"


def test_the_sweep_is_scheduled_every_minute_on_the_email_queue() -> None:
    from quitgpt.celery import app

    [entry] = [e for e in app.conf.beat_schedule.values() if e["task"] == "quitgpt.tasks.sweep_owed_emails"]
    assert entry["schedule"] <= 60
    assert app.conf.task_routes["quitgpt.tasks.sweep_owed_emails"] == {"queue": "email"}
