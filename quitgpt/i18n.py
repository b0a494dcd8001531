"""Language checks, written once: a language code from a form, a row or `?lang=` is one we ship or the
default."""

from __future__ import annotations

from django.conf import settings


def supported_language(code: str | None, *, default: str | None = None) -> str:
    """`code` if it is one of settings.LANGUAGES, else `default` (settings.LANGUAGE_CODE when omitted).

    Exact match only ("fr", not "fr-ca"): our URLs and templates exist for these codes alone."""
    if code and code in dict(settings.LANGUAGES):
        return code
    return default if default is not None else settings.LANGUAGE_CODE
