"""The sampled audit's re-confirmation page: GET shows a button (mail scanners open links), POST answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from quitgpt.security import same_origin_post
from tally import audit


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def audit_confirm(request: HttpRequest, token: str) -> HttpResponse:
    member = audit.audit_member_by_token(token)
    if member is None:
        return _private(render(request, "tally/audit_confirm.html", {"invalid": True}, status=404))
    if request.method == "POST":
        member = audit.audit_confirm(token=token)
    return _private(render(request, "tally/audit_confirm.html", {"member": member}))
