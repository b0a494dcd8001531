"""Where each pledge came from (partner, email domain, IP prefix, country), recorded with it.

`pledge_create_with_source` calls `pledges.services.pledge_create` with a `companion` row, an unsaved
`PledgeSource`, of which pledges writes a copy with each new pledge, atomically with it: pledges stays
unaware of partners and the watch.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any

from campaign.models import Partner, PledgeSource
from pledges import services as pledge_services
from quitgpt.emails import normalise_email
from quitgpt.net import ip_hash as hash_ip

# Second-level labels under which registrations sit (example.co.uk, example.com.au).
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "gouv", "ne", "or"}


def base_domain(domain: str) -> str:
    """The registrable part of a mail domain, so that a.evil.example and b.evil.example are one."""
    labels = [label for label in domain.lower().strip(".").split(".") if label]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@lru_cache(maxsize=1)
def large_providers() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "large_mail_providers.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def ip_prefix(ip: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one (a carrier or a household), "" if none."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    length = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def pledge_create_with_source(*, partner: Partner | None = None, ip: str = "", **kwargs: Any):
    """`pledge_create`, plus the source of each new pledge, written atomically with it (on the pledge
    POST's path, in the very statement that writes a new person's pledges)."""
    prefix = ip_prefix(ip)
    email = kwargs.get("email") or ""
    source = PledgeSource(
        partner=partner,
        domain=base_domain(normalise_email(email).rpartition("@")[2]),
        ip_prefix_hash=hash_ip(prefix) if prefix else "",
        country=(kwargs.get("country") or "")[:2],
    )
    return pledge_services.pledge_create(ip=ip, companion=source, **kwargs)
