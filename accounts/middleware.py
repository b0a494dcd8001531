"""Organisers' sessions (MFA before the admin, idle timeout) and the Permissions-Policy header."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from accounts.selectors import staff_has_totp, staff_used_mfa_this_session
from quitgpt.outage import DATABASE_DOWN, database_unavailable_response

LAST_SEEN_KEY = "accounts.staff_last_seen"
# Stamp the session at most this often, so that an organiser's every click does not write it.
STAMP_EVERY = 60
# django.contrib.messages' cookie storage.
MESSAGES_COOKIE = "messages"


class StaffSessionMiddleware:
    """Staff sessions end after STAFF_IDLE_TIMEOUT idle seconds, and every /admin/ page requires TOTP.

    An organiser without a TOTP authenticator is sent to set one up; one who has it but did not use it in
    this session (signed in before setting it up) is asked for a code. Requests without a session cookie
    (every anonymous visitor) pass straight through without reading any session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if has_session:
            try:
                response = self._check_staff(request)
            except DATABASE_DOWN as exc:
                # Database down while loading the user: the same 503 page as in a view, never a 500,
                # and never a pass without the checks.
                return database_unavailable_response(request, exc)
            if response is not None:
                return response
        response = self.get_response(request)
        # A page rendered for a signed-in person (the header shows their account link) or showing a
        # flash message must not be stored by a shared cache, even one that ignores Vary: Cookie.
        if (has_session or MESSAGES_COOKIE in request.COOKIES) and "public" in response.get(
            "Cache-Control", ""
        ):
            patch_cache_control(response, private=True)
        return response

    def _check_staff(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        self._end_if_idle(request)
        if request.user.is_authenticated and request.path.startswith(reverse("admin:index")):
            return self._require_mfa(request)
        return None

    def _end_if_idle(self, request: HttpRequest) -> None:
        now = time.time()
        last_seen = request.session.get(LAST_SEEN_KEY)
        if isinstance(last_seen, (int, float)) and now - last_seen > settings.STAFF_IDLE_TIMEOUT:
            logout(request)
            return
        if not isinstance(last_seen, (int, float)) or now - last_seen >= STAMP_EVERY:
            request.session[LAST_SEEN_KEY] = now
            # The cookie and the stored session die with the idle timeout too.
            request.session.set_expiry(settings.STAFF_IDLE_TIMEOUT)

    def _require_mfa(self, request: HttpRequest) -> HttpResponse | None:
        query = urlencode({"next": request.get_full_path()})
        if not staff_has_totp(user=request.user):
            return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")
        if not staff_used_mfa_this_session(request=request, user=request.user):
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header built from settings.PERMISSIONS_POLICY on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})" for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
