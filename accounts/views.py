"""Account pages. "My pledges" (`mine`) is composed here: the accounts app is the one place that knows
both the person's pledges (pledges app) and their RSVPs (events app), which never import each other."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import staff_has_totp, verified_mailboxes
from events import selectors as event_selectors
from events import services as event_services
from pledges import selectors as pledge_selectors
from pledges import services as pledge_services
from pledges.self_service import SelfServicePage, render_self_service, self_service
from quitgpt.responses import json_download


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


# --- "My pledges": pledges and RSVPs of the signed-in person's verified addresses ----------------------
def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """Pledge actions (update, withdraw) go to the pledges' own handler; cancelling an RSVP and erasing
    everything are handled here, each through its app's services. Acting on anything not matched by the
    person's verified addresses is a 400 and changes nothing."""
    here = reverse("accounts:mine")
    mailboxes = verified_mailboxes(user=request.user)
    supporters = pledge_selectors.supporters_of_mailboxes(mailboxes)
    rsvps = event_selectors.rsvps_of_mailboxes(mailboxes=mailboxes)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "cancel_rsvp":
        rsvp = {r.pk: r for r in rsvps}.get(_int(request.POST.get("rsvp")))
        if rsvp is None:
            return HttpResponse(status=400)
        event_services.rsvp_cancel(rsvp_id=rsvp.pk)
        return HttpResponseRedirect(f"{here}?done=rsvp_cancelled", status=303)
    erase_error = False
    if action == "erase_everything":
        if request.POST.get("confirm_erase") == "yes":
            # Not one transaction across both apps: each service is atomic on its own, and a retry after
            # a failure half-way finishes the job (what is erased no longer matches).
            for supporter in supporters:
                pledge_services.supporter_erase(supporter=supporter)
            event_services.rsvp_erase(rsvps=rsvps)
            return HttpResponseRedirect(f"{here}?done=erased", status=303)
        erase_error = True
    page = SelfServicePage(
        here=here,
        export_url=reverse("accounts:mine_export"),
        template="accounts/mine.html",
        use_csrf=True,
        extra_context={
            "rsvps": rsvps,
            "erase_everything": True,
            "erase_everything_error": erase_error,
        },
    )
    if erase_error:
        return render_self_service(request, supporters, page, status=400)
    return self_service(request, supporters=supporters, page=page)


@require_safe
@login_required
@never_cache
def mine_export(request: HttpRequest) -> HttpResponse:
    """One file with everything about the person: their pledges (per mailbox) and their RSVPs."""
    mailboxes = verified_mailboxes(user=request.user)
    supporters = pledge_selectors.supporters_of_mailboxes(mailboxes)
    rsvps = event_selectors.rsvps_of_mailboxes(mailboxes=mailboxes)
    if not supporters and not rsvps:
        raise Http404
    exports = [pledge_services.supporter_export(supporter=s) for s in supporters]
    body = {
        "exported_at": timezone.now().isoformat(),
        "verified_addresses": sorted(mailboxes),
        "supporters": [e["supporter"] for e in exports],
        "pledges": [pledge for e in exports for pledge in e["pledges"]],
        "rsvps": event_services.rsvp_export(rsvps=rsvps),
    }
    return json_download(body)
