"""The pledge POST of a visitor without cookies runs a shorter middleware chain.

On a viral day most requests that reach Django are pledge POSTs from people who have no cookie at all
(public pages set none). For them five middlewares do nothing but cost time (about 0.45 ms of the
POST's 5 ms here): CSRF (the public forms are `csrf_exempt` and checked by `quitgpt.security.
same_origin_post` instead), messages (nothing to read, nothing stored: public answers redirect), allauth's
account middleware and the staff session check (nobody is signed in), and django-simple-history's request
context (no signed-in user to record). Everything else runs as on the full chain, in the same order:
security headers, CSP, the language from the address, the database-outage page, sessions and auth
(so that a page that reads `request.user` still says `Vary: Cookie`).

The choice is made on the WSGI environ, before Django builds a request: a POST to an allow-listed
address (SHORT_CHAIN_NAMES, in every language) with no Cookie header at all. Anyone with a cookie, and
every other request, takes the full chain. tests/quitgpt/test_shortchain.py sends the same requests both
ways (a new signature, a repeated one, an invalid form in English and French, a bot, a cross-site post,
a NUL byte, paused signing) and finds the same status, headers and bytes.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation

# Addresses whose POST takes the short chain for a visitor without cookies.
SHORT_CHAIN_NAMES = ("pledges:pledge",)
# What the short chain leaves out (each does nothing for a request without cookies to these views).
SKIPPED_MIDDLEWARE = frozenset(
    {
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "allauth.account.middleware.AccountMiddleware",
        "accounts.middleware.StaffSessionMiddleware",
        "simple_history.middleware.HistoryRequestMiddleware",
    }
)


def short_chain_middleware() -> list[str]:
    """settings.MIDDLEWARE without SKIPPED_MIDDLEWARE, in the same order."""
    return [path for path in settings.MIDDLEWARE if path not in SKIPPED_MIDDLEWARE]


class ShortChainHandler(WSGIHandler):
    """Django's WSGI handler over the shorter chain (Django's own loader, given the shorter list)."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Once per process, at start-up: the loader reads settings.MIDDLEWARE.
        with override_settings(MIDDLEWARE=short_chain_middleware()):
            super().load_middleware(is_async)


@functools.cache
def short_chain_paths() -> frozenset[str]:
    paths = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            paths.update(reverse(name) for name in SHORT_CHAIN_NAMES)
    return frozenset(paths)


def takes_short_chain(environ: dict) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and not environ.get("HTTP_COOKIE")
        and environ.get("PATH_INFO", "") in short_chain_paths()
    )


class Application:
    """The site's WSGI application: the short chain where `takes_short_chain`, else the full one."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.short = ShortChainHandler()

    def __call__(self, environ, start_response):
        handler = self.short if takes_short_chain(environ) else self.full
        return handler(environ, start_response)
