from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def pledge(request: HttpRequest) -> HttpResponse:
    return render(request, "pledges/pledge.html")


@require_safe
def supporters(request: HttpRequest) -> HttpResponse:
    return render(request, "pledges/supporters.html")
