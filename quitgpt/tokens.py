"""Private links, written once: random tokens stored only as a hash, and stable keyed tokens.

Two kinds of link reach a person by email:
- a *one-time* token (confirm a pledge or an RSVP): `new_token()` goes into the email, only
  `hash_token(raw)` is stored, and a lookup hashes what the link carries (`quitgpt.optin.find_by_token`);
- a *stable* token that every email repeats (a supporter's manage link, an RSVP's cancel link):
  `keyed_token(purpose, value)`, a keyed hash (HMAC-SHA256 under SECRET_KEY) of a per-row value, checked
  in constant time with `keyed_token_matches`. Nothing secret is stored; changing the row's value (e.g.
  a new salt) revokes every link at once.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

# Longer than any token we mint: a longer path segment is not ours and is refused before hashing.
MAX_TOKEN_LENGTH = 200


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    """What is stored for a one-time token (SHA-256 hex: the token itself has 256 bits of entropy)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def keyed_token(purpose: str, value: str) -> str:
    """A stable 256-bit token for `value`, distinct per `purpose` (e.g. "pledges.manage")."""
    return salted_hmac(purpose, value, algorithm="sha256").hexdigest()


def keyed_token_matches(purpose: str, value: str, token: str) -> bool:
    if not value or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    return constant_time_compare(keyed_token(purpose, value), token)
