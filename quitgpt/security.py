"""Cross-site request protection for forms on cookie-free public pages.

Public pages (home, directory, events) must set no cookie so that a CDN can cache them for everyone, so
their forms cannot carry Django's CSRF cookie. Instead these views check that the POST comes from our own
origin: browsers send `Sec-Fetch-Site` (same-origin) and/or `Origin` with every cross-site POST, and a
page on another site cannot forge either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


def is_same_origin(request: HttpRequest) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # "none" is a user-initiated navigation (typed URL, bookmark): not a cross-site form.
        return fetch_site in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        # Old browsers send neither header on same-origin posts; fall back to the Referer.
        referer = request.headers.get("Referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    allowed = {f"{request.scheme}://{request.get_host()}", settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS}
    return origin in allowed


def same_origin_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Replace the CSRF cookie check by an Origin / Sec-Fetch-Site check on unsafe methods."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in {"GET", "HEAD", "OPTIONS"} and not is_same_origin(request):
            return HttpResponseForbidden("Cross-site form submissions are refused.")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def safe_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Declare a view read-only: GET and HEAD answer, any other method 405 with `Allow: GET, HEAD`.

    Django's CSRF check runs before the view and answered 403 to a POST; a view that only reads has
    nothing for that check to protect, so it is exempt and the method check decides. Used by the
    language-free machine addresses (the JSON APIs, feeds, embeds, badge, image)."""
    return csrf_exempt(require_safe(view))
