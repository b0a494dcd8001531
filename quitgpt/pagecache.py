"""Hot pages are bytes: the public pages and the counter's addresses, rendered once per language and kept
in each web process as bytes and headers for a few seconds (PAGE_CACHE_SECONDS), served by the first
middleware before sessions, CSRF, auth and the rest run again.

What makes this safe (tests/quitgpt/test_pagecache.py shows a hit equal to the full path's answer):
- only GET/HEAD of an allow-listed address (PAGE_CACHE_NAMES, each in every language), without a query
  string (any parameter can change the page: `?ref=` counts a visit, filters, pagination, and the
  language switch repeats the query string) except `?lang=xx` on the language-free addresses;
- only for a visitor without a session, CSRF or messages cookie (anyone signed in, or with a message to
  see, takes the full path) and without a conditional request header (the views answer 304 themselves);
- only a 200 that the full path itself declared `Cache-Control: public`, setting no cookie, not varying
  on Cookie for a reason we cannot see, not streaming;
- the key holds the published tally's ETag, so a new snapshot makes every page showing the counter
  re-render at once (the counter is never older than the API's own figure); other content (events,
  directory, settings) follows within PAGE_CACHE_SECONDS, far under the pages' own max-age.
The stored headers are the full chain's (security headers, CSP, Content-Language, Vary...), so a hit
answers exactly what the full path answered when it was stored.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

# The pages every anonymous visitor sees alike, in each language.
PAGE_CACHE_NAMES = (
    "home",
    "privacy",
    "pledges:pledge",
    "pledges:supporters",
    "alternatives:index",
    "events:index",
    "tally:how_we_count",
)
# Language-free addresses (the language comes from `?lang=`, which is then part of the key).
PAGE_CACHE_LANGUAGE_FREE_NAMES = ("tally_api:tally", "tally_api:badge", "tally_api:embed_counter")
# Enough for every address in every language on a few host names; the oldest entry goes first.
MAX_ENTRIES = 256
# A conditional request is answered (304) by the view itself.
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


def _cookie_names() -> tuple[str, ...]:
    return (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages")


class PageCache:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[float, int, bytes, list[tuple[str, str]]]] = OrderedDict()
        self.lock = threading.Lock()
        self._paths: tuple[frozenset[str], frozenset[str]] | None = None
        self.hits = 0  # answers served from the cache (read by the tests)

    def paths(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._paths is None:
            pages = set()
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    pages.update(reverse(name) for name in PAGE_CACHE_NAMES)
            free = {reverse(name) for name in PAGE_CACHE_LANGUAGE_FREE_NAMES}
            self._paths = frozenset(pages), frozenset(free)
        return self._paths

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def key(self, request: HttpRequest) -> tuple | None:
        """The entry's key, or None when this request must take the full path."""
        if request.method not in {"GET", "HEAD"}:
            return None
        pages, free = self.paths()
        path = request.path
        query = request.META.get("QUERY_STRING", "")
        if path in pages:
            if query:
                return None
        elif path in free:
            if query and query not in _LANG_QUERIES:
                return None
        else:
            return None
        cookies = request.COOKIES
        if cookies and any(name in cookies for name in _cookie_names()):
            return None
        meta = request.META
        if any(header in meta for header in CONDITIONAL_HEADERS):
            return None
        try:
            host = request.get_host()
        except DisallowedHost:
            return None
        from tally.selectors import tally_entry

        try:
            etag = tally_entry()["etag"]
        except Exception:
            # Redis and the database both unreachable: the full path answers (the 503 page).
            return None
        return (request.scheme, host, path, query, etag)

    def get(self, key: tuple) -> HttpResponse | None:
        found = self.entries.get(key)
        if found is None:
            return None
        expires, status, content, headers = found
        if time.monotonic() >= expires:
            return None
        self.hits += 1
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response.headers[name] = value
        return response

    def put(self, key: tuple, response: HttpResponse) -> None:
        if not storable(response):
            return
        entry = (
            time.monotonic() + settings.PAGE_CACHE_SECONDS,
            response.status_code,
            bytes(response.content),
            list(response.items()),
        )
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


_LANG_QUERIES = frozenset(f"lang={code}" for code, _name in settings.LANGUAGES)


def storable(response: HttpResponse) -> bool:
    """The full path's answer may be reused for everyone: a public 200 that sets no cookie."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = {
        part.strip().split("=")[0] for part in response.get("Cache-Control", "").lower().split(",")
    }
    if "public" not in cache_control or cache_control & {"private", "no-store", "no-cache"}:
        return False
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")}
    # Vary: Cookie is fine (we only store for visitors without the cookies that matter); anything else
    # we do not key on is not.
    return vary <= {"", "cookie", "accept-encoding"}


page_cache = PageCache()


class PageCacheMiddleware:
    """First in MIDDLEWARE: a hit answers before the rest of the chain; a miss runs it and stores."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if settings.PAGE_CACHE_SECONDS <= 0:
            return self.get_response(request)
        key = page_cache.key(request)
        if key is None:
            return self.get_response(request)
        cached = page_cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if request.method == "GET":
            page_cache.put(key, response)
        return response
