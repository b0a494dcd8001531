"""One mailbox, one key: the address rule (quitgpt.emails) for pledges, RSVPs, block lists and sign-in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quitgpt.emails import (
    DOT_ATOM,
    GMAIL_DOMAINS,
    PLUS_TAG_DOMAINS,
    UnmappableAddress,
    normalise_email,
    plain_spelling,
)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com"),
        ("j.a.n.e@gmail.com", "jane@gmail.com"),
        ("Someone+tag@Outlook.com", "someone@outlook.com"),
        ("someone+tag@icloud.com", "someone@icloud.com"),
        ("someone+tag@pm.me", "someone@pm.me"),
        # Elsewhere `+` may be part of another mailbox's name: kept.
        ("  Someone+tag+more@Example.ORG ", "someone+tag+more@example.org"),
        ("first.last@example.org", "first.last@example.org"),  # dots matter outside Gmail
        ("first.last@outlook.com", "first.last@outlook.com"),
        ("STRASSE@EXAMPLE.DE", "strasse@example.de"),
        ("user@bücher.example", "user@xn--bcher-kva.example"),
        ("user@XN--BCHER-KVA.example.", "user@xn--bcher-kva.example"),
        # RFC 5321 quoted strings that a dot-atom reaches are that dot-atom.
        ('"janedoe"@gmail.com', "janedoe@gmail.com"),
        ('"jane\\doe"@gmail.com', "janedoe@gmail.com"),
        ('"jane.doe"@example.org', "jane.doe@example.org"),
        ('"\\j\\a\\n\\e"@Example.org', "jane@example.org"),
    ],
)
def test_it_normalises_addresses_to_one_key_per_mailbox(typed: str, normalised: str) -> None:
    assert normalise_email(typed) == normalised


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "@example.org", "user@", "+tag@gmail.com", ".jane@example.org", "a..b@x.org"]
)
def test_it_rejects_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_email(bad)


@pytest.mark.parametrize(
    "unmappable",
    ['"jane doe"@example.org', '"a@b"@example.org', '"jane..doe"@example.org', '"jane".doe@example.org',
     'ja\\ne@example.org', '""@example.org'],
)  # fmt: skip
def test_it_refuses_what_it_cannot_map_safely(unmappable: str) -> None:
    with pytest.raises(UnmappableAddress):
        normalise_email(unmappable)


def test_the_plain_spelling_keeps_what_was_typed_but_the_quotes() -> None:
    assert plain_spelling('"Jane.Doe"@Example.ORG') == "Jane.Doe@example.org"
    assert plain_spelling("Jane+x@GMAIL.com") == "Jane+x@gmail.com"


# --- The property: any two spellings that delivery or the provider's aliasing sends to one mailbox -----
_atext = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*/=?^_`{|}~-")
_atom = st.text(_atext, min_size=1, max_size=8)
dot_atoms = st.lists(_atom, min_size=1, max_size=3).map(".".join)
domains = st.sampled_from(
    [*sorted(PLUS_TAG_DOMAINS), "example.org", "Example.ORG", "bücher.example", "xn--bcher-kva.example"]
)


@st.composite
def quoted(draw, local: str) -> str:
    """An RFC 5321 quoted-string for `local`: each character as itself or as a quoted pair."""
    return '"' + "".join(("\\" + c) if draw(st.booleans()) else c for c in local) + '"'


@st.composite
def same_mailbox(draw) -> tuple[str, str]:
    """Two spellings of one mailbox: the same dot-atom local part (any case, quoted or not), on the same
    domain (any case, Unicode or IDNA), plus the provider's documented aliases (`+tag`, Gmail's dots,
    googlemail.com)."""
    local = draw(dot_atoms.filter(lambda s: "+" not in s))
    domain = draw(domains)

    def spell(base_domain: str) -> str:
        text = "".join(c.upper() if draw(st.booleans()) else c for c in local)
        d = base_domain.casefold()
        if d in PLUS_TAG_DOMAINS and draw(st.booleans()):
            text += "+" + draw(st.text(_atext, max_size=6))
        if d in GMAIL_DOMAINS:
            if draw(st.booleans()):
                d = draw(st.sampled_from(sorted(GMAIL_DOMAINS)))
            text = ".".join(text.replace(".", "")) if draw(st.booleans()) and len(text) > 1 else text
            if not DOT_ATOM.fullmatch(text):
                text = text.replace(".", "")
        if draw(st.booleans()):
            d = d.upper()
        if d.casefold() == "bücher.example" and draw(st.booleans()):
            d = "xn--bcher-kva.example"
        if DOT_ATOM.fullmatch(text) and draw(st.booleans()):
            text = draw(quoted(text))
        return f"{text}@{d}"

    return spell(domain), spell(domain)


@given(same_mailbox())
def test_two_spellings_of_one_mailbox_get_one_key(pair: tuple[str, str]) -> None:
    first, second = pair
    assert normalise_email(first) == normalise_email(second)
