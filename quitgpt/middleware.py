from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from quitgpt.outage import DATABASE_DOWN, database_unavailable_response

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """PostgreSQL down: a plain 503 page with Retry-After instead of a traceback or a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_DOWN):
            return None
        return database_unavailable_response(request, exception)


class RefuseNulBytesMiddleware:
    """A NUL character in the path or the query string is a 400 with a clear message, for every page.

    No page of ours takes one, and PostgreSQL refuses NUL in text: a `?q=%00` reaching a filter, a
    search or a token lookup would otherwise be a 500 (public pages and the admin alike). Form fields
    already refuse NUL (Django's CharField), so this guards what views read from the URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                _("This address contains a NUL character, which no page accepts. Remove it and try again."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class UrlDecidesLanguageMiddleware:
    """Drop the `Vary: Accept-Language` that LocaleMiddleware adds, except on the admin.

    Pages take their language from the URL alone (English at /, French under /fr/, i18n_patterns with
    prefix_default_language=False), and the APIs, feeds and images are language-free (`?lang=` where it
    matters), so varying on the browser's language would only split a CDN's cache into one copy per
    Accept-Language string. Only the admin, outside i18n_patterns and never cached, follows the browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/") or not response.has_header("Vary"):
            return response
        kept = [
            v.strip()
            for v in response["Vary"].split(",")
            if v.strip() and v.strip().lower() != "accept-language"
        ]
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]
        return response
