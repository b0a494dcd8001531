"""CORS for the public, read-only data (JSON, CSV, calendars, images), written once (healthchecks'
`cors()` decorator): any site may read them with a plain GET; nothing is sent with credentials."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# How long a browser may keep the preflight answer (seconds).
PREFLIGHT_MAX_AGE = "86400"


def cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open the view's responses to every origin and answer a CORS preflight (`OPTIONS`) itself.

    Put it above `@safe_only` / `@require_safe` (which would refuse OPTIONS with a 405): a preflight never
    reaches the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            requested = request.headers.get("Access-Control-Request-Headers")
            if requested:
                response["Access-Control-Allow-Headers"] = requested
            response["Allow"] = ALLOWED_METHODS
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper
