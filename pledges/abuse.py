"""Abuse: block lists (domains, addresses, networks) and per-IP limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from pledges.models import Pledge, PledgeSettings, SpamTombstone
from pledges.rules import VERSION_KEY, SigningRules, local_rules, signing_rules
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


def _counter_keys(ip_digest: str, config: PledgeSettings) -> list[tuple[str, int]]:
    limits = ((config.short_limit, config.short_window), (config.long_limit, config.long_window))
    keys = [(f"pledges:rate:{window}:{ip_digest}", window) for _limit, window in limits]
    return [*keys, (f"pledges:mail:{ip_digest}", MAIL_WINDOW)]


def _windows(config: PledgeSettings) -> tuple[int, int]:
    return config.short_window, config.long_window


def _admission(ip_digest: str, config: PledgeSettings, counted: list[int] | None) -> Admission:
    """What the counts say; None (no cache answered): each counted in the database instead, the
    distinct mailboxes that pledged from the address in the window, and the emails owed to its rows."""
    limits = ((config.short_limit, config.short_window), (config.long_limit, config.long_window))
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


def count_submission(*, ip_digest: str, config: PledgeSettings) -> Admission:
    """Count one submission against both per-IP limits and the client's mail budget, in one round trip
    to Redis (quitgpt.ratelimit.hits), or in the database when the cache is down."""
    if not ip_digest:
        return Admission()
    return _admission(ip_digest, config, ratelimit.hits(_counter_keys(ip_digest, config)))


def admit(*, ip_digest: str, rules: SigningRules | None = None) -> tuple[SigningRules, Admission]:
    """The signing rules and this submission's counts (`count_submission`). When this process holds a
    copy of the rules, the shared version (pledges.rules) is read in the same round trip as the
    counters, under the copy's windows: one round trip to Redis for both. The counts come before the
    block lists and the pause are looked at, so a dropped submission counts against its client too."""
    if rules is not None:
        return rules, count_submission(ip_digest=ip_digest, config=rules.config)
    hint = local_rules()
    if hint is None or not ip_digest:
        rules = signing_rules()
        return rules, count_submission(ip_digest=ip_digest, config=rules.config)
    counted, version = ratelimit.hits(_counter_keys(ip_digest, hint.config), read=VERSION_KEY)
    rules = signing_rules(version=version)
    if _windows(rules.config) != _windows(hint.config):
        # An organiser changed the windows just now: count under the new ones (this once, two trips).
        return rules, count_submission(ip_digest=ip_digest, config=rules.config)
    return rules, _admission(ip_digest, rules.config, counted)
