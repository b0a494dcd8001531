from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from quitgpt import health
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
    overall, checks = health.run_checks()
    return JsonResponse({"status": overall, "checks": checks}, status=200 if overall == "ok" else 503)


@safe_only
@cache_control(public=True, max_age=3600)
def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the open data (quitgpt/openapi.py)."""
    response = JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
