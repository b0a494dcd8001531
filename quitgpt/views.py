from __future__ import annotations

import base64

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from quitgpt import campaign, health
from quitgpt.cors import cors
from quitgpt.openapi import openapi_document
from quitgpt.security import safe_only
from tally.selectors import people_joined_in_last_hour

# A 1x1 transparent GIF: the referral landing page counts its visit by loading it (the page stays cacheable).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@require_safe
@cache_control(public=True, max_age=60)
def home(request: HttpRequest) -> HttpResponse:
    context = {"teasers": campaign.home_teasers(), "joined_last_hour": people_joined_in_last_hour()}
    return render(request, "pages/home.html", context)


@require_safe
@cache_control(public=True, max_age=60)
def referral(request: HttpRequest, code: str) -> HttpResponse:
    """A supporter's short share link: the reason, the counter, who invited them (only a first name they
    chose to publish) and the short form carrying their code. No cookie, cacheable: the visit is counted
    by the pixel below, which is never cached."""
    context = {
        "ref": code if campaign.SHARE_CODE_RE.match(code) else "",
        "inviter": campaign.inviter_first_name(code),
        "teasers": campaign.home_teasers(),
        "joined_last_hour": people_joined_in_last_hour(),
    }
    return render(request, "pages/referral.html", context)


@require_safe
def referral_seen(request: HttpRequest, code: str) -> HttpResponse:
    """Counts one visit of /r/<code> through pledges' referral service (unknown codes are ignored)."""
    from pledges.services import referral_visit_record

    referral_visit_record(code=code)
    response = HttpResponse(PIXEL, content_type="image/gif")
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


@require_safe
@cache_control(public=True, max_age=300)
def partners(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/partners.html")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico for the clients that ask for it whatever the page says (the logo, 16 to 64 px)."""
    path = finders.find("img/favicon.ico")
    if not path:
        raise Http404
    with open(path, "rb") as fh:
        return HttpResponse(fh.read(), content_type="image/x-icon")


@require_safe
@cache_control(public=True, max_age=300)
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/privacy.html")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the site serves ("ok", or "degraded": Redis down, tally stale), 503 only when it cannot
    (the database is down). A load balancer must keep a degraded node: dropping every web node when
    Redis is down would turn an outage the site survives into a full one."""
    overall, checks = health.run_checks()
    return JsonResponse({"status": overall, "checks": checks}, status=503 if overall == "down" else 200)


@cors
@safe_only
@cache_control(public=True, max_age=3600)
def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the open data (quitgpt/openapi.py)."""
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
