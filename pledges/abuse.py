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


def _mailboxes_from(ip_digest: str, window: int) -> int:
    """The distinct mailboxes that pledged from the address in the window (the limit's count when the
    cache is down)."""
    since = timezone.now() - timedelta(seconds=window)
    return (
        Pledge.objects.filter(ip_hash=ip_digest, created_at__gte=since)
        .values("email_normalised")
        .distinct()
        .count()
    )


def is_over_limit(*, ip_digest: str, config: PledgeSettings) -> bool:
    """Count this submission against both per-IP limits (quitgpt.ratelimit); True if over either."""
    if not ip_digest:
        return False
    over = False
    for limit, window in ((config.short_limit, config.short_window), (config.long_limit, config.long_window)):
        # Both windows count the hit, so evaluate each (no short-circuit).
        if ratelimit.over_limit(
            f"pledges:rate:{window}:{ip_digest}",
            limit=limit,
            window=window,
            count_in_database=lambda window=window: _mailboxes_from(ip_digest, window),
        ):
            over = True
    return over
