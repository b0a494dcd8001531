"""The organisers' signing rules, cached in each web process: the settings row and the three block lists.

A submission needs them all; reading them costs four queries (five with the view's pause check) on every
pledge. Each process keeps one copy under a version number held in the shared cache (Redis), which every
submission reads (one cache round trip) and which an organiser's change bumps once its transaction has
committed (signals below, for the admin and anything else that saves or deletes a row), so a change
applies at once on every process and every node. A change that bypasses the signals (a bulk load, an
`update()` in a shell) applies within PLEDGES_RULES_CACHE_SECONDS. While Redis is down the version lives
in the cache's database fallback (quitgpt/cache.py), which every process reads alike; a process that
slept through an outage in which the rules changed may keep its copy up to PLEDGES_RULES_CACHE_SECONDS
after Redis is back. With no cache answering at all, every submission reads the rows, as before. Off (0)
when debugging, and so in tests, where rows change under `update()`.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from pledges.models import BlockedAddress, BlockedDomain, BlockedNetwork, PledgeSettings

logger = logging.getLogger(__name__)

VERSION_KEY = "pledges:rules:version"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SigningRules:
    """The settings row, read at once, and the block lists, read when first needed (a paused form or
    an honeypot hit never reads them)."""

    def __init__(self) -> None:
        self.config = PledgeSettings.load()

    @cached_property
    def domains(self) -> frozenset[str]:
        return frozenset(BlockedDomain.objects.values_list("domain", flat=True))

    @cached_property
    def addresses(self) -> frozenset[str]:
        return frozenset(BlockedAddress.objects.values_list("email_normalised", flat=True))

    @cached_property
    def networks(self) -> tuple[IPNetwork, ...]:
        networks = []
        for network in BlockedNetwork.objects.values_list("network", flat=True):
            try:
                networks.append(ipaddress.ip_network(network, strict=False))
            except (ValueError, TypeError):
                continue
        return tuple(networks)

    def load_all(self) -> SigningRules:
        self.domains, self.addresses, self.networks  # noqa: B018 - reads them into the copy
        return self


_local: tuple[object, float, SigningRules] | None = None
_UNREAD = object()


def local_rules() -> SigningRules | None:
    """This process's copy of the rules, not checked against the shared version (None when it has
    none, or an expired one): what a caller needs to know beforehand, e.g. the limits' windows, to read
    the version in the same round trip as its own counters (pledges.abuse.admit)."""
    local = _local
    lifetime = settings.PLEDGES_RULES_CACHE_SECONDS
    if lifetime > 0 and local is not None and time.monotonic() - local[1] < lifetime:
        return local[2]
    return None


def signing_rules(*, version: object = _UNREAD) -> SigningRules:
    """The current rules: this process's copy while the shared version has not moved, else the rows.
    `version`: the shared version as the caller already read it (quitgpt.ratelimit.hits, `read=`), so
    that it costs no round trip of its own; None when it was missing."""
    global _local
    lifetime = settings.PLEDGES_RULES_CACHE_SECONDS
    if lifetime <= 0:
        return SigningRules()
    try:
        if version is _UNREAD:
            version = cache.get(VERSION_KEY)
        if not isinstance(version, int):
            # None (never set, or flushed), or a version from before versions were numbers: a number
            # that every process then reads alike.
            if version is None:
                cache.add(VERSION_KEY, _new_version(), None)
            else:
                bump_rules_version()
            version = cache.get(VERSION_KEY)
    except Exception:
        return SigningRules()  # nobody could tell us about a change: read the rows
    local = _local
    if local is not None and local[0] == version and time.monotonic() - local[1] < lifetime:
        return local[2]
    rules = SigningRules().load_all()
    _local = (version, time.monotonic(), rules)
    return rules


def _new_version() -> int:
    # A number: the cache stores it as is (not pickled), so that a script can read it (quitgpt.ratelimit).
    return secrets.randbits(62)


def bump_rules_version() -> None:
    """Every process rereads the rules on its next submission."""
    global _local
    _local = None
    try:
        cache.set(VERSION_KEY, _new_version(), None)
    except Exception:
        logger.warning(
            "cache unavailable: a change to the signing rules applies within %s s on other processes",
            settings.PLEDGES_RULES_CACHE_SECONDS,
        )


def rules_changed(**kwargs) -> None:
    """Signal receiver: bump once the change is committed (earlier, a process could reload the old rows
    under the new version and keep them)."""
    transaction.on_commit(bump_rules_version)
