from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from quitgpt import health
from quitgpt.cors import cors
from quitgpt.openapi import openapi_document
from quitgpt.security import safe_only


@require_safe
@cache_control(public=True, max_age=60)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html")


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
