"""Unsubscribing (RFC 8058 one-click) and the relays' bounce webhook: thin views over updates.services."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from updates import services
from updates.bounces import parse_webhook


def _language_of(request: HttpRequest, supporter) -> str:
    from updates.selectors import supporter_language

    lang = request.GET.get("lang") or (supporter_language(supporter) if supporter else "")
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# Mailbox providers POST here from their own servers (no cookie, no Origin): RFC 8058 requires that
# this one address accept such a POST, so it is exempt from the CSRF and same-origin checks. It can only
# ever unsubscribe the supporter named by the signed token, which is what the POST asks for.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    supporter = services.supporter_for_unsubscribe_token(token)
    with translation.override(_language_of(request, supporter)):
        if supporter is None:
            return render(request, "updates/unsubscribe.html", {"invalid": True}, status=404)
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            if not one_click:
                return render(request, "updates/unsubscribe.html", {"token": token, "bad": True}, status=400)
            services.supporter_unsubscribe(supporter=supporter)
            return render(request, "updates/unsubscribe.html", {"done": True})
        # GET (mail scanners open links): a page with a button, nothing changed.
        return render(request, "updates/unsubscribe.html", {"token": token})


@csrf_exempt
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    """Bounces and complaints from a relay (Postmark, SendGrid, Mailgun, Amazon SES via SNS, or our own
    JSON), authenticated by UPDATES_BOUNCE_WEBHOOK_SECRET in `Authorization: Bearer …` or `?secret=`."""
    secret = settings.UPDATES_BOUNCE_WEBHOOK_SECRET
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or request.GET.get(
        "secret", ""
    )
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "unauthorised"}, status=403)
    if len(request.body) > 1_000_000:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body must be JSON"}, status=400)
    events = parse_webhook(payload)
    recorded = 0
    for address, kind, detail in events:
        if services.bounce_record(address=address, kind=kind, source="webhook", detail=detail):
            recorded += 1
    return JsonResponse({"recorded": recorded})
