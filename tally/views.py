from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def how_we_count(request: HttpRequest) -> HttpResponse:
    return render(request, "tally/how_we_count.html")


@require_safe
def api_tally(request: HttpRequest) -> JsonResponse:
    # Placeholder until the tally engine lands (issue 4).
    return JsonResponse({"total": 0, "display": "0", "people": 0, "reported": 0, "by_kind": {}})
