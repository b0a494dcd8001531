"""Supporters suggest alternatives through a cookie-free form with abuse limits; organisers moderate."""

from __future__ import annotations

import pytest
from django.test import Client

from alternatives.models import Suggestion, SuggestionStatus
from quitgpt.net import ip_hash

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def post(client: Client, data: dict, **extra):
    return client.post("/alternatives/suggest/", data, **{**SAME_ORIGIN, **extra})


def test_a_suggestion_waits_in_the_queue_and_the_visitor_is_thanked(client: Client) -> None:
    response = post(
        client,
        {"name": "Le Chat", "website": "https://chat.example", "reason": "Made in Europe.", "nickname": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == "/alternatives/suggest/thanks/"
    assert not response.cookies
    suggestion = Suggestion.objects.get()
    assert (suggestion.name, suggestion.website, suggestion.reason) == (
        "Le Chat",
        "https://chat.example",
        "Made in Europe.",
    )
    assert suggestion.status == SuggestionStatus.NEW
    assert suggestion.ip_hash == ip_hash("127.0.0.1")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for your suggestion" in thanks.content.decode()


def test_a_french_visitor_is_thanked_in_french(client: Client) -> None:
    response = client.post("/fr/alternatives/suggest/", {"name": "Mistral"}, **SAME_ORIGIN)
    assert response["Location"] == "/fr/alternatives/suggest/thanks/"
    assert Suggestion.objects.get().language == "fr"


def test_a_bot_filling_the_honeypot_gets_the_same_answer_and_nothing_is_kept(client: Client) -> None:
    response = post(client, {"name": "Spam", "nickname": "bot"})
    assert response.status_code == 302
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Good", "reason": "y" * 1001}, "reason"),
        ({"name": "Good", "reason": "see https://spam.example now"}, "reason"),
        ({"name": "Good", "reason": "visit www.spam.example"}, "reason"),
        ({"name": "http://spam.example"}, "name"),
        ({"name": "Good", "website": "javascript:alert(1)"}, "website"),
        ({"name": "Good", "website": "ftp://files.example"}, "website"),
        ({"name": "Good", "website": "not a url"}, "website"),
        ({"name": "<img src=x onerror=alert(1)>"}, "name"),
        ({"name": "Bad\x00name"}, "name"),
        ({"name": "Good", "reason": "<script>alert(1)</script>"}, "reason"),
        ({"name": "Good", "reason": "right\u202eto left"}, "reason"),
    ],
)
def test_bad_input_gets_a_clear_error_not_a_500(client: Client, data: dict, field: str) -> None:
    response = post(client, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "Please correct the errors below." in response.content.decode()
    assert not Suggestion.objects.exists()


def test_a_name_with_a_dot_is_not_mistaken_for_a_link(client: Client) -> None:
    assert post(client, {"name": "Character.ai"}).status_code == 302


def test_a_cross_site_post_is_refused(client: Client) -> None:
    response = client.post("/alternatives/suggest/", {"name": "X"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not Suggestion.objects.exists()


@pytest.mark.redis
def test_one_address_is_limited_per_hour_with_a_clear_message(client: Client, settings) -> None:
    settings.ALTERNATIVES_SUGGESTIONS_PER_HOUR = 3
    for n in range(3):
        assert post(client, {"name": f"Alt {n}"}).status_code == 302
    response = post(client, {"name": "One too many"})
    assert response.status_code == 429
    assert "Please try again in an hour." in response.content.decode()
    assert Suggestion.objects.count() == 3
    # Another address is not affected.
    assert post(client, {"name": "Elsewhere"}, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_the_limit_holds_when_the_cache_is_down(client: Client, settings, caplog) -> None:
    settings.ALTERNATIVES_SUGGESTIONS_PER_HOUR = 2
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    assert post(client, {"name": "A"}).status_code == 302
    assert post(client, {"name": "B"}).status_code == 302
    assert post(client, {"name": "C"}).status_code == 429
    assert "counting in the database" in caplog.text


def test_the_form_page_sets_no_cookie_and_hides_the_honeypot(client: Client) -> None:
    response = client.get("/alternatives/suggest/")
    assert not response.cookies
    html = response.content.decode()
    assert 'class="hp-field" aria-hidden="true"' in html
    assert 'name="nickname"' in html and 'tabindex="-1"' in html


def test_the_ip_hash_of_a_suggestion_is_erased_after_a_day() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alternatives.tasks import forget_suggestion_ip_hashes_task

    old = Suggestion.objects.create(
        name="Old", ip_hash="h1", created_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    fresh = Suggestion.objects.create(name="Fresh", ip_hash="h2")
    assert forget_suggestion_ip_hashes_task.delay().get() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.ip_hash, fresh.ip_hash) == ("", "h2")
    assert forget_suggestion_ip_hashes_task.delay().get() == 0


def test_the_erasure_is_scheduled() -> None:
    from quitgpt.celery import app

    entry = app.conf.beat_schedule["alternatives-forget-suggestion-ip-hashes"]
    assert entry["task"] in app.tasks


def test_a_real_same_origin_post_needs_no_csrf_cookie() -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/alternatives/suggest/", {"name": "Strict"}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert Suggestion.objects.filter(name="Strict").exists()
