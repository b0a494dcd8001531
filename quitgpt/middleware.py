from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """PostgreSQL down: a plain 503 page with Retry-After instead of a traceback or a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s", exception)
        body = render_to_string("503.html", {"request": request})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response


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


class HtmlGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH mitigation: random padding in every compressed answer) for
    HTML pages only. JSON, images and calendars are small or already compressed, and stay byte-for-byte
    what clients and the open-data checks (schemathesis) read; static files come precompressed from
    whitenoise."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
