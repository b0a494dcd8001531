from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from alternatives import selectors, services
from alternatives.forms import SuggestionForm
from alternatives.models import ATTRIBUTES, Category
from alternatives.serializers import directory_json
from quitgpt.cors import cors
from quitgpt.net import client_ip, ip_hash
from quitgpt.security import safe_only, same_origin_post

# Public pages: no cookie is set, so a CDN may cache them for everyone.
PAGE_CACHE = cache_control(public=True, max_age=300)


@require_safe
@PAGE_CACHE
def index(request: HttpRequest) -> HttpResponse:
    filters = selectors.DirectoryFilters.from_query(request.GET)
    context = {
        "filters": filters,
        "alternatives": selectors.directory_listing(filters=filters),
        "avoid": selectors.directory_avoid(),
        "categories": Category.choices,
        "attributes": ATTRIBUTES,
    }
    return render(request, "alternatives/index.html", context)


@require_safe
@PAGE_CACHE
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    alternative = selectors.alternative_published_by_slug(slug=slug)
    if alternative is None:
        raise Http404
    # Link previews (templates/includes/social_meta.html): the name and the short description, or for an
    # entry to avoid, the public reason.
    preview = alternative.reason if alternative.is_avoid else alternative.summary
    context = {
        "alternative": alternative,
        "og_title": alternative.name,
        "og_description": Truncator(" ".join((preview or alternative.body).split())).chars(200),
    }
    return render(request, "alternatives/detail.html", context)


@require_safe
@PAGE_CACHE
def compare(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.getlist("slug")
    alternatives = selectors.alternatives_for_comparison(slugs=chosen)
    context = {
        "alternatives": alternatives,
        "all_alternatives": selectors.alternatives_published() if chosen else alternatives,
        "chosen": {a.slug for a in alternatives} if chosen else set(),
        "attribute_rows": [(label, [getattr(a, name) for a in alternatives]) for name, label in ATTRIBUTES],
    }
    return render(request, "alternatives/compare.html", context)


@require_safe
@PAGE_CACHE
def how_to_switch(request: HttpRequest) -> HttpResponse:
    return render(request, "alternatives/how_to_switch.html")


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def suggest(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = render(request, "alternatives/suggest.html", {"form": SuggestionForm()})
        patch_cache_control(response, public=True, max_age=300)
        return response
    response = _suggest_post(request)
    add_never_cache_headers(response)
    return response


def _suggest_post(request: HttpRequest) -> HttpResponse:
    form = SuggestionForm(request.POST)
    if form.is_bot:
        # Same answer as a real suggestion, so that the bot learns nothing.
        return redirect("alternatives:suggest_thanks")
    if form.is_valid():
        try:
            services.suggestion_create(
                name=form.cleaned_data["name"],
                website=form.cleaned_data["website"],
                reason=form.cleaned_data["reason"],
                language=get_language() or "en",
                ip_hash=ip_hash(client_ip(request)),
            )
        except services.SuggestionRateLimited:
            context = {"form": form, "rate_limited": True}
            return render(request, "alternatives/suggest.html", context, status=429)
        return redirect("alternatives:suggest_thanks")
    return render(request, "alternatives/suggest.html", {"form": form}, status=400)


@require_safe
@PAGE_CACHE
def suggest_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "alternatives/suggest_thanks.html")


@cors
@safe_only
@cache_control(public=True, max_age=300)
def api_index(request: HttpRequest) -> JsonResponse:
    return JsonResponse(directory_json(selectors.alternatives_published()))
