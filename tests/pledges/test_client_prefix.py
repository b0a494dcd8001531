"""Issue 16 point 8: per-client limits count an IPv6 host once per /64, and an IPv4-mapped IPv6 address
is its IPv4 address (for limits and for the blocked ranges alike)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from pledges.models import BlockedNetwork, Pledge, PledgeSettings
from quitgpt.net import client_ip, client_prefix, ip_hash, normalise_ip


def test_an_ipv6_client_is_its_slash_64_and_an_ipv4_mapped_address_its_ipv4_address() -> None:
    assert client_prefix("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert ip_hash("2001:db8:1:2:aaaa::1") == ip_hash("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert ip_hash("2001:db8:1:2::1") != ip_hash("2001:db8:1:3::1")
    assert normalise_ip("::ffff:192.0.2.7") == "192.0.2.7"
    assert ip_hash("::ffff:192.0.2.7") == ip_hash("192.0.2.7")
    assert ip_hash("192.0.2.7") != ip_hash("192.0.2.8")  # IPv4: the address itself


def test_the_client_address_of_a_request_is_normalised() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="::ffff:198.51.100.4")
    assert client_ip(request) == "198.51.100.4"


@pytest.mark.django_db
def test_rotating_through_one_slash_64_does_not_escape_the_per_ip_limit(sign) -> None:
    PledgeSettings.objects.update_or_create(pk=1, defaults={"short_limit": 1, "long_limit": 5})
    sign(email="one@example.org", ip="2001:db8:5:6::1")
    sign(email="two@example.org", ip="2001:db8:5:6::2")
    sign(email="three@example.org", ip="2001:db8:9:9::1")  # another client
    flags = dict(Pledge.objects.values_list("email", "suspicious"))
    assert flags == {"one@example.org": False, "two@example.org": True, "three@example.org": False}


@pytest.mark.django_db
def test_an_ipv4_mapped_address_does_not_escape_a_blocked_ipv4_range(sign) -> None:
    BlockedNetwork.objects.create(network="203.0.113.0/24")
    sign(email="mapped@example.org", ip="::ffff:203.0.113.9")
    sign(email="plain@example.org", ip="203.0.113.10")
    assert not Pledge.objects.exists()
