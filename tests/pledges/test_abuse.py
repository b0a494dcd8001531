"""Abuse without a CAPTCHA: honeypot, per-IP limits that flag, block lists, a pause switch."""

from __future__ import annotations

import pytest

from pledges.models import BlockedAddress, BlockedDomain, BlockedNetwork, Pledge, PledgeSettings
from quitgpt.net import ip_hash

pytestmark = pytest.mark.django_db

ACCEPTED = "/pledge/check-your-email/"


def test_a_filled_honeypot_is_answered_like_a_pledge_and_saves_nothing(sign, outbox) -> None:
    response = sign(website="http://spam.example")
    assert response.status_code == 303 and response["Location"] == ACCEPTED
    assert not Pledge.objects.exists()
    assert outbox == []


def test_the_honeypot_is_hidden_from_people(client) -> None:
    html = client.get("/pledge/").content.decode()
    assert 'class="hp-field" aria-hidden="true"' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_it_ships_a_list_of_disposable_mail_domains() -> None:
    assert BlockedDomain.objects.filter(shipped=True).count() > 300
    assert BlockedDomain.objects.filter(domain="mailinator.com").exists()


@pytest.mark.parametrize("email", ["someone@mailinator.com", "x@sub.mailinator.com", "Someone@YOPMAIL.com"])
def test_a_blocked_domain_is_answered_like_a_pledge_and_saves_nothing(sign, outbox, email) -> None:
    response = sign(email=email)
    assert response.status_code == 303 and response["Location"] == ACCEPTED
    assert not Pledge.objects.exists()
    assert outbox == []


def test_a_blocked_address_matches_every_spelling_of_the_mailbox(sign, outbox) -> None:
    BlockedAddress.objects.create(email_normalised="troll@gmail.com")
    response = sign(email="T.Roll+x@googlemail.com")
    assert response["Location"] == ACCEPTED
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("network", "ip"), [("203.0.113.0/24", "203.0.113.77"), ("2001:db8::/32", "2001:db8::1")]
)
def test_a_blocked_ip_range_is_checked_against_the_live_client_address(sign, outbox, network, ip) -> None:
    BlockedNetwork.objects.create(network=network)
    assert sign(ip=ip)["Location"] == ACCEPTED
    assert not Pledge.objects.exists()
    assert sign(ip="198.51.100.1")["Location"] == ACCEPTED
    assert Pledge.objects.count() == 1


@pytest.mark.redis
def test_a_second_pledge_from_one_address_within_a_minute_is_flagged_not_refused(sign, outbox) -> None:
    sign(email="one@example.org")
    response = sign(email="two@example.org")
    assert response["Location"] == ACCEPTED
    assert dict(Pledge.objects.values_list("email", "suspicious")) == {
        "one@example.org": False,
        "two@example.org": True,
    }
    assert len(outbox) == 2  # flagged pledges still confirm; they just do not count until cleared
    assert not Pledge.objects.counted().filter(email="two@example.org").exists()


def test_the_default_limits_are_one_a_minute_and_five_in_five_minutes() -> None:
    config = PledgeSettings.load()
    assert (config.short_limit, config.short_window, config.long_limit, config.long_window) == (1, 60, 5, 300)


@pytest.mark.redis
def test_the_short_window_expires_while_the_long_window_still_counts(sign) -> None:
    """Redis expires the short window's counter (1 s here); the long window (2 per 300 s) still flags."""
    import time

    PledgeSettings.objects.update(short_window=1, long_limit=2)
    for n in range(3):
        if n:
            time.sleep(1.1)
        sign(email=f"n{n}@example.org")
    assert list(Pledge.objects.order_by("pk").values_list("suspicious", flat=True)) == [False, False, True]


@pytest.mark.redis
def test_organisers_can_change_the_limits_without_a_deploy(sign) -> None:
    PledgeSettings.objects.update(short_limit=3, long_limit=10)
    for n in range(4):
        sign(email=f"n{n}@example.org")
    assert list(Pledge.objects.order_by("pk").values_list("suspicious", flat=True)) == [
        False,
        False,
        False,
        True,
    ]


@pytest.mark.redis
def test_the_limits_are_kept_in_redis_per_address_hash(sign) -> None:
    import redis
    from django.conf import settings

    sign(ip="192.0.2.50")
    keys = [k.decode() for k in redis.Redis.from_url(settings.REDIS_URL).keys("*pledges:rate*")]
    assert keys and all(ip_hash("192.0.2.50") in k for k in keys)
    assert not any("192.0.2.50" in k for k in keys)


def test_a_confirmed_but_suspicious_pledge_stays_out_of_the_count() -> None:
    from tests.pledges.conftest import make_pledge

    make_pledge(status="confirmed", suspicious=True)
    make_pledge(status="confirmed")
    assert Pledge.objects.counted().count() == 1


def test_only_a_keyed_hash_of_the_address_is_stored(sign) -> None:
    sign(ip="192.0.2.123")
    pledge = Pledge.objects.get()
    assert pledge.ip_hash == ip_hash("192.0.2.123")
    assert "192.0.2.123" not in str(Pledge.objects.values().get())


def test_the_pause_switch_stops_signing_without_a_deploy(client, sign, outbox) -> None:
    PledgeSettings.objects.update(signing_paused=True)
    assert "Signing is paused" in client.get("/pledge/").content.decode()
    assert "Signing is paused" in client.get("/").content.decode()
    response = sign()
    assert response.status_code == 503
    assert not Pledge.objects.exists()
    PledgeSettings.objects.update(signing_paused=False)
    assert sign()["Location"] == ACCEPTED


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy declared: the header is ignored
        (1, "198.51.100.4, 203.0.113.9", "203.0.113.9"),  # the address our one proxy saw
        (2, "198.51.100.4, 203.0.113.9", "198.51.100.4"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer hops than declared: do not trust it
    ],
)
def test_the_client_address_is_read_through_the_declared_proxies_only(
    settings, sign, proxies, forwarded, expected
) -> None:
    settings.TRUSTED_PROXIES = proxies
    from django.test import Client

    from tests.pledges.conftest import FORM

    Client().post(
        "/pledge/",
        FORM,
        HTTP_SEC_FETCH_SITE="same-origin",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert Pledge.objects.get().ip_hash == ip_hash(expected)


def test_a_blocked_range_uses_the_forwarded_address_behind_a_trusted_proxy(settings, client) -> None:
    from tests.pledges.conftest import FORM

    settings.TRUSTED_PROXIES = 1
    BlockedNetwork.objects.create(network="203.0.113.0/24")
    client.post(
        "/pledge/",
        FORM,
        HTTP_SEC_FETCH_SITE="same-origin",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert not Pledge.objects.exists()


def test_when_redis_is_down_signing_works_and_limits_fall_back_to_the_database(settings, sign) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert sign(email="first@example.org")["Location"] == ACCEPTED
    assert sign(email="second@example.org")["Location"] == ACCEPTED
    assert list(Pledge.objects.order_by("pk").values_list("suspicious", flat=True)) == [False, True]


def test_signing_takes_a_bounded_number_of_queries(sign, client, django_assert_max_num_queries) -> None:
    sign(email="warm@example.org", ip="192.0.2.1")
    with django_assert_max_num_queries(3):
        client.get("/pledge/")
    # 19 to sign (one locks the supporter row, so that the person's details are decided once; one looks
    # for a spam tombstone; one writes the pledge's source, campaign.sources), 8 to send the email inline
    # (one finds the spelling the person confirmed, one checks the address has not bounced hard; a worker
    # sends it in production).
    with django_assert_max_num_queries(29):
        sign(email="new@example.org", ip="192.0.2.2")
