"""Abuse: block lists (domains, addresses, networks) and per-IP limits."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.utils import timezone

from pledges.models import Pledge, PledgeSettings
from pledges.rules import SigningRules, signing_rules
from quitgpt import ratelimit


# --- Abuse: block lists and per-IP limits --------------------------------------------------------------
def _domain_candidates(domain: str) -> list[str]:
    """`a.b.example.org` -> the domain and each parent down to `example.org`: a block covers subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(max(len(parts) - 1, 1))]


def is_blocked(*, email_normalised: str, ip: str, rules: SigningRules | None = None) -> bool:
    rules = rules or signing_rules()
    domain = email_normalised.rpartition("@")[2]
    if not rules.domains.isdisjoint(_domain_candidates(domain)):
        return True
    if email_normalised in rules.addresses:
        return True
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for network in rules.networks:
            if address.version == network.version and address in network:
                return True
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
    limits = ((config.short_limit, config.short_window), (config.long_limit, config.long_window))
    # Both windows in one round trip to Redis; None (Redis down) counts each in the database.
    counted = ratelimit.hits([(f"pledges:rate:{window}:{ip_digest}", window) for _limit, window in limits])
    over = False
    for i, (limit, window) in enumerate(limits):
        # Both windows count the hit, so evaluate each (no short-circuit).
        count = counted[i] if counted else _mailboxes_from(ip_digest, window) + 1
        if count > limit:
            over = True
    return over
