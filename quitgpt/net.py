"""The client's address, read only as far as the declared proxies allow, and its keyed hash.

One client is one IPv4 address or one IPv6 /64 (the block a single subscriber or host is given, and
can rotate through freely): `client_prefix` says which, and `ip_hash` hashes that, so that every
per-client limit and grouping counts an IPv6 host once whatever address it picks in its /64. An
IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is that IPv4 address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting X-Forwarded-For through exactly TRUSTED_PROXIES hops.

    Each trusted proxy appends the address it received the request from, so the client is the
    TRUSTED_PROXIES-th entry from the right; anything left of it may be forged by the client.
    """
    remote = normalise_ip(request.META.get("REMOTE_ADDR", ""))
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    candidate = normalise_ip(forwarded[-hops])
    return candidate or remote


IPV6_CLIENT_PREFIX = 64


def normalise_ip(ip: str) -> str:
    """The address in one form ("" if it is not one): an IPv4-mapped IPv6 address is its IPv4 address."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def client_prefix(ip: str) -> str:
    """The client an address stands for: the IPv4 address itself, or its IPv6 /64 (as a network)."""
    normal = normalise_ip(ip)
    if not normal:
        return ip
    address = ipaddress.ip_address(normal)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{normal}/{IPV6_CLIENT_PREFIX}", strict=False))
    return normal


def ip_hash(ip: str) -> str:
    """A keyed hash of the client an address stands for (`client_prefix`): lets us group, limit and
    block without storing the address itself."""
    return salted_hmac("quitgpt.ip", client_prefix(ip)).hexdigest()
