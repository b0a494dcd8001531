"""Abuse: block lists (domains, addresses, networks) and per-IP limits."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.utils import timezone

from pledges.models import BlockedAddress, BlockedDomain, BlockedNetwork, Pledge, PledgeSettings
from quitgpt import ratelimit


# --- Abuse: block lists and per-IP limits --------------------------------------------------------------
def _domain_candidates(domain: str) -> list[str]:
    """`a.b.example.org` -> the domain and each parent down to `example.org`: a block covers subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(max(len(parts) - 1, 1))]


def is_blocked(*, email_normalised: str, ip: str) -> bool:
    domain = email_normalised.rpartition("@")[2]
    if BlockedDomain.objects.filter(domain__in=_domain_candidates(domain)).exists():
        return True
    if BlockedAddress.objects.filter(email_normalised=email_normalised).exists():
        return True
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for network in BlockedNetwork.objects.values_list("network", flat=True):
            try:
                if address in ipaddress.ip_network(network, strict=False):
                    return True
            except (ValueError, TypeError):
                continue
    return False


def _hits(ip_digest: str, window: int) -> int:
    """This submission's number in the current window for the address; counted in the database (distinct
    mailboxes) when the cache is down."""
    count = ratelimit.hit(f"pledges:rate:{window}:{ip_digest}", window=window)
    if count is not None:
        return count
    since = timezone.now() - timedelta(seconds=window)
    return (
        Pledge.objects.filter(ip_hash=ip_digest, created_at__gte=since)
        .values("email_normalised")
        .distinct()
        .count()
        + 1
    )


def is_over_limit(*, ip_digest: str, config: PledgeSettings) -> bool:
    if not ip_digest:
        return False
    over = False
    for limit, window in ((config.short_limit, config.short_window), (config.long_limit, config.long_window)):
        if _hits(ip_digest, window) > limit:
            over = True
    return over
