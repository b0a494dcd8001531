from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "events/index.html")


@require_safe
def api_index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"events": []})
