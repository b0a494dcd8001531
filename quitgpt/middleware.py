from __future__ import annotations

import logging

import csp.constants
import csp.middleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.gzip import GZipMiddleware
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
            message = _(
                "This address contains a NUL character, which no page accepts. Remove it and try again."
            )
            if request.path.startswith("/api/"):  # machine addresses answer their documented JSON error
                return JsonResponse({"error": str(message)}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
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


class HtmlGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH mitigation: random padding in every compressed answer) for
    HTML pages only. JSON, images and calendars are small or already compressed, and stay byte-for-byte
    what clients and the open-data checks (schemathesis) read; static files come precompressed from
    whitenoise."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)


_NO_POLICY: dict = {}


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the site's policy built once per process.

    django-csp rebuilds the header from the settings on every response (the policy and the report-only
    one), which costs a pledge POST more than its form. A response with no policy of its own (no
    `csp_replace`, `csp_update` or `csp_exempt` on it, no nonce used, no header set) gets the header
    that django-csp built for the first such response under the same settings; anything else goes
    through django-csp itself. tests/quitgpt/test_csp_cache.py shows the headers are django-csp's."""

    _OWN = tuple(
        f"_csp_{what}{suffix}" for what in ("config", "update", "replace", "exempt") for suffix in ("", "_ro")
    )

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._built: tuple[tuple[int, int], dict[str, str]] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The settings' own objects (or one shared empty dict): their ids key the header built.
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or _NO_POLICY
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or _NO_POLICY
        if (
            settings.DEBUG
            or policy.get("EXCLUDE_URL_PREFIXES")
            or report_only.get("EXCLUDE_URL_PREFIXES")
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in self._OWN)
            or csp.constants.HEADER in response
            or csp.constants.HEADER_REPORT_ONLY in response
        ):
            return super().process_response(request, response)
        key = (id(policy), id(report_only))
        built = self._built
        if built is None or built[0] != key:
            response = super().process_response(request, response)
            headers = (csp.constants.HEADER, csp.constants.HEADER_REPORT_ONLY)
            self._built = (key, {name: response[name] for name in headers if name in response})
            return response
        for name, value in built[1].items():
            response[name] = value
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent gap.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
