"""Rules for free text that people type into public forms and that we may show again: no control or
bidirectional-override characters, no HTML, and for names no links and no spreadsheet formulas."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional overrides can make a name read differently from what it is.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HTML = re.compile(r"<\s*[a-zA-Z/!?]|&#?\w+;")
_URL = re.compile(r"(?i)://|\bwww\.|[a-z0-9-]{2,}\.[a-z]{2,}")
FORMULA_START = ("=", "+", "-", "@")


def _control_characters(value: str, *, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(
        (unicodedata.category(char) == "Cc" and char not in allowed) or char in _BIDI for char in value
    )


def clean_name(value: str) -> str:
    value = " ".join(value.split())
    if _control_characters(value, allow_newlines=False):
        raise ValidationError(_("Your name contains characters we cannot show."), code="control")
    if _HTML.search(value):
        raise ValidationError(_("Please write your name without HTML."), code="html")
    if _URL.search(value) or "@" in value:
        raise ValidationError(
            _("Please write just your first name, without a link or an address."), code="url"
        )
    if value.startswith(FORMULA_START):
        raise ValidationError(_("Your name cannot start with =, +, - or @."), code="formula")
    return value


def clean_message(value: str) -> str:
    value = value.strip()
    if _control_characters(value, allow_newlines=True):
        raise ValidationError(_("Your message contains characters we cannot show."), code="control")
    if _HTML.search(value):
        raise ValidationError(_("Please write your message without HTML."), code="html")
    return value
