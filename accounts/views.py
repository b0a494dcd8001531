from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.selectors import staff_has_totp


@never_cache
def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Stands in for the admin's own login form: organisers sign in through allauth (with MFA)."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(next_url)
        raise PermissionDenied("This account has no organiser access.")
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The signed-in person's account menu: their pledges, email, security, and the admin for organisers."""
    is_staff = request.user.is_staff
    return render(
        request,
        "accounts/index.html",
        {"is_staff": is_staff, "has_totp": is_staff and staff_has_totp(user=request.user)},
    )
