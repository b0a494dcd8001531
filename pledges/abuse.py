"""Abuse: block lists (domains, addresses, networks) and per-IP limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from pledges.models import Pledge, PledgeSettings, SpamTombstone
from pledges.rules import SigningRules, signing_rules
from quitgpt import ratelimit
from quitgpt.net import normalise_ip
from quitgpt.tokens import keyed_token


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
            # `::ffff:192.0.2.1` is 192.0.2.1: it must not escape an IPv4 range.
            address = ipaddress.ip_address(normalise_ip(ip))
        except ValueError:
            return False
        for network in rules.networks:
            if address.version == network.version and address in network:
                return True
    return False


def tombstone_key(email_normalised: str) -> str:
    """The keyed hash a spam tombstone keeps of a mailbox key (SECRET_KEY: not reversible offline)."""
    return keyed_token("pledges.tombstone", email_normalised)


def is_tombstoned(email_normalised: str) -> bool:
    return SpamTombstone.objects.filter(key_hash=tombstone_key(email_normalised)).exists()


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


# Emails one client may cause at once per window; beyond, they are owed and the sweep sends them at a
# bounded rate (quitgpt.optin.SWEEP_PER_CLIENT a minute): delayed, never dropped. What is counted is the
# client's submissions that got past the block lists, each of which owes at most one email.
MAIL_BUDGET = 20
MAIL_WINDOW = 600


@dataclass(frozen=True)
class Admission:
    """What the per-client counters say of one submission."""

    over_limit: bool = False  # over a per-IP limit: its pledges are held until a moderator clears them
    over_mail_budget: bool = False  # the email it owes waits for the sweep (delayed, not dropped)


def count_submission(*, ip_digest: str, config: PledgeSettings) -> Admission:
    """Count one submission against both per-IP limits and the client's mail budget, in one round trip
    to Redis (quitgpt.ratelimit.hits). When the cache is down, each is counted in the database: the
    distinct mailboxes that pledged from the address in the window, and the emails owed to its rows."""
    if not ip_digest:
        return Admission()
    limits = ((config.short_limit, config.short_window), (config.long_limit, config.long_window))
    keys = [(f"pledges:rate:{window}:{ip_digest}", window) for _limit, window in limits]
    counted = ratelimit.hits([*keys, (f"pledges:mail:{ip_digest}", MAIL_WINDOW)])
    over = False
    for i, (limit, window) in enumerate(limits):
        # Both windows count the hit, so evaluate each (no short-circuit).
        count = counted[i] if counted else _mailboxes_from(ip_digest, window) + 1
        if count > limit:
            over = True
    if counted:
        mail = counted[2]
    else:
        since = timezone.now() - timedelta(seconds=MAIL_WINDOW)
        mail = Pledge.objects.filter(ip_hash=ip_digest, email_owed_since__gte=since).count() + 1
    return Admission(over_limit=over, over_mail_budget=mail > MAIL_BUDGET)
