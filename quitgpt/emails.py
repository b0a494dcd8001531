"""The normalised form of an email address: the key that makes one mailbox one supporter.

The one rule for pledges, RSVPs, block lists and sign-in (documented in CONTRIBUTING.md, "Addresses"):

1. The local part as delivery sees it (RFC 5321 section 4.1.2): a quoted local part whose content is a
   dot-atom once its quoted pairs (`\\x` -> `x`) are resolved is the same mailbox as that dot-atom
   (`"jane"@`, `"j\\ane"@` -> `jane@`). A local part that needs quoting (spaces, `@`, two dots, ...) or
   that mixes quotes and atoms cannot be mapped safely: refused (`UnmappableAddress`).
2. Case: local parts are read case-insensitively (every large provider does); the domain too, and an
   internationalised domain takes one form, its ASCII (IDNA) one. Address literals (`[192.0.2.1]`) are
   refused.
3. Provider aliasing, only where the provider documents it: `+tag` is dropped for the providers in
   `PLUS_TAG_DOMAINS` (elsewhere `bob+x@` may be another mailbox than `bob@`); dots are ignored, and
   googlemail.com read as gmail.com, for Gmail only.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# Providers documented to deliver `local+anything@` to `local@` (subaddressing).
PLUS_TAG_DOMAINS = {
    "gmail.com",  # Google: "username+anything@gmail.com"
    "googlemail.com",
    "outlook.com",  # Microsoft: plus addressing in Outlook.com
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",  # Apple: "plus addressing" for iCloud Mail
    "me.com",
    "mac.com",
    "fastmail.com",  # Fastmail: "plus addressing"
    "fastmail.fm",
    "proton.me",  # Proton: "+aliases"
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
}

# RFC 5322 atext: the characters of an unquoted local part.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
# RFC 5321 quoted-string content: qtextSMTP (printable ASCII but `"` and `\`) or a quoted pair.
_QUOTED = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*)"')


class UnmappableAddress(ValueError):
    """A valid address whose mailbox we cannot identify safely (a quoted local part that is not a
    dot-atom): the form asks for the plain spelling."""


def unquote_local(local: str) -> str:
    """The dot-atom a local part stands for: itself, or a quoted one with its quotes and quoted pairs
    resolved. Raises UnmappableAddress when the result is not a dot-atom, ValueError when not a local
    part at all."""
    if '"' in local or "\\" in local:
        match = _QUOTED.fullmatch(local)
        if not match:
            raise UnmappableAddress("quotes or backslashes outside one quoted local part")
        local = re.sub(r"\\(.)", r"\1", match.group(1))
        if not DOT_ATOM.fullmatch(local):
            raise UnmappableAddress("a quoted local part that no unquoted spelling reaches")
    elif not DOT_ATOM.fullmatch(local):
        raise ValueError("not a local part")
    return local


def canonical_domain(domain: str) -> str:
    """The domain in one form: lower case, no trailing dot, its ASCII (IDNA) form."""
    domain = domain.strip().rstrip(".").lower()
    if not domain or domain.startswith("[") or ".." in domain:
        raise ValueError("not a domain name")
    try:
        # Decode then encode, so that `xn--bcher-kva.example` and `bücher.example` meet in one form.
        ascii_form = domain.encode("idna").decode("ascii")
        ascii_form = ascii_form.encode("ascii").decode("idna").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("invalid domain") from None
    return ascii_form.lower()


def split_address(address: str) -> tuple[str, str]:
    """(local part as delivery sees it, canonical domain) of an address; raises ValueError."""
    address = address.strip()
    local, sep, domain = address.rpartition("@")
    if not sep or not local or not domain:
        raise ValueError("not an email address")
    return unquote_local(local), canonical_domain(domain)


def plain_spelling(address: str) -> str:
    """The address as typed, without quotes and with its domain in one form: what sign-in looks up and
    what we write to. `"Jane"@Example.ORG` -> `Jane@example.org`."""
    local, domain = split_address(address)
    return f"{local}@{domain}"


def normalise_email(address: str) -> str:
    """The key of the mailbox an address reaches (see the module's docstring).

    `Jane.Doe+news@GoogleMail.com` -> `janedoe@gmail.com`; `"jane"@example.org` -> `jane@example.org`;
    `bob+x@example.org` stays `bob+x@example.org`. The address as typed is kept beside it.
    """
    local, domain = split_address(address)
    local = local.lower()
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    if not local:
        raise ValueError("empty mailbox")
    return f"{local}@{domain}"


UNMAPPABLE_MESSAGE = _(
    "Please type your address without quotation marks or backslashes: we cannot check which mailbox "
    "this spelling reaches."
)


def clean_address(value: str) -> str:
    """An address field's value in its plain spelling (quotes resolved, domain in one form), or a clear
    form error: the same rule for every form that takes an address (quitgpt.emails)."""
    try:
        normalise_email(value)
        return plain_spelling(value)
    except UnmappableAddress:
        raise ValidationError(UNMAPPABLE_MESSAGE, code="unmappable") from None
    except ValueError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None
