"""The normalised form of an email address: the key that makes one mailbox one supporter."""

from __future__ import annotations

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(address: str) -> str:
    """Case-folded, `+tag` dropped, and for Gmail dots dropped and googlemail.com read as gmail.com.

    `Jane.Doe+news@GoogleMail.com` -> `janedoe@gmail.com`. The address as typed is kept beside it.
    """
    address = address.strip()
    local, sep, domain = address.rpartition("@")
    if not sep or not local or not domain:
        raise ValueError("not an email address")
    local = local.casefold()
    domain = domain.casefold().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("invalid domain") from None
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    if not local:
        raise ValueError("empty mailbox")
    return f"{local}@{domain}"
