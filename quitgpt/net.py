"""The client's address, read only as far as the declared proxies allow, and its keyed hash."""

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
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a placeholder, not a bind # nosec B104
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def ip_hash(ip: str) -> str:
    """A keyed hash of an address: lets us group and block without storing the address itself."""
    return salted_hmac("quitgpt.ip", ip).hexdigest()
