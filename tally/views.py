"""Thin views over tally.selectors. None of them counts rows: they read the published snapshot."""

from __future__ import annotations

import csv
import io

from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from django_countries import countries

from quitgpt.cors import cors
from quitgpt.i18n import supported_language
from quitgpt.security import safe_only
from tally import images, selectors
from tally.charts import daily_chart_svg

# Browsers and CDNs may reuse the figure for 15 s, serve it stale while fetching a fresh one, and keep
# serving it for a day if we are down: the counter never goes blank.
API_CACHE = {"public": True, "max_age": 15, "stale_while_revalidate": 30, "stale_if_error": 86400}


def _language(request: HttpRequest) -> str:
    """The `lang` query parameter for language-free addresses (embeds, badge, image); English default."""
    return supported_language(request.GET.get("lang"), default="en")


@cors
@safe_only
def api_tally(request: HttpRequest) -> HttpResponse:
    entry = selectors.tally_entry()
    last_modified = int(entry["checked_at"].timestamp()) if entry["checked_at"] else None
    response = get_conditional_response(request, etag=entry["etag"], last_modified=last_modified)
    if response is None:
        response = HttpResponse(entry["body"], content_type="application/json")
    response["ETag"] = entry["etag"]
    if entry["last_modified"]:
        response["Last-Modified"] = entry["last_modified"]
    patch_cache_control(response, **API_CACHE)
    return response


@cors
@safe_only
@cache_control(public=True, max_age=300, stale_while_revalidate=600, stale_if_error=86400)
def api_daily_json(request: HttpRequest) -> HttpResponse:
    body = {
        "description": (
            "People counted per day (UTC) of their first confirmed pledge: confirmed by email, not"
            " suspicious, not withdrawn, one per mailbox. by_kind counts a person once per kind pledged,"
            " so its sum may exceed people. Reported tallies are not included. No personal data."
        ),
        "days": selectors.daily_summary(),
    }
    return JsonResponse(body)


@cors
@safe_only
@cache_control(public=True, max_age=300, stale_while_revalidate=600, stale_if_error=86400)
def api_daily_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # One row per (day, country, kinds): each person is in exactly one row, so the rows sum to people.
    writer.writerow(["date", "country", "kinds", "people"])
    for day, country, kinds, n in selectors.daily_buckets():
        writer.writerow([day.isoformat(), country, kinds, n])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="quitgpt-daily.csv"'
    return response


@require_safe
@cache_control(public=True, max_age=60)
def how_we_count(request: HttpRequest) -> HttpResponse:
    tally = selectors.tally_current()
    per_day = selectors.daily_people(days=60)
    context = {
        "tally": tally,
        "reported_tallies": selectors.reported_tallies(),
        "recount": selectors.latest_recount(),
        "chart": daily_chart_svg(per_day, language=translation.get_language()),
        "daily": [row for row in per_day if row[1]][-14:],
        "held": tally.get("held", {}),
        "by_country": [
            (countries.name(code) if code != "--" else "", n)
            for code, n in sorted(tally.get("by_country", {}).items(), key=lambda kv: -kv[1])[:20]
        ],
    }
    return render(request, "tally/how_we_count.html", context)


@safe_only
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@cache_control(public=True, max_age=60)
def embed_counter(request: HttpRequest) -> HttpResponse:
    """The one page other sites may frame: the counter alone, live."""
    with translation.override(_language(request)):
        return render(
            request,
            "tally/embed_counter.html",
            {"tally": selectors.tally_current(), "LANGUAGE_CODE": translation.get_language()},
        )


@cors
@safe_only
def badge_svg(request: HttpRequest) -> HttpResponse:
    tally = selectors.tally_current()
    with translation.override(_language(request)):
        svg = images.badge_svg(tally["total"], translation.get_language())
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    patch_cache_control(response, public=True, max_age=60, stale_while_revalidate=300, stale_if_error=86400)
    return response


@cors
@safe_only
def og_png(request: HttpRequest) -> HttpResponse:
    tally = selectors.tally_current()
    with translation.override(_language(request)):
        png = images.og_png(tally["total"], translation.get_language())
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=300, stale_while_revalidate=600, stale_if_error=86400)
    return response


def bench_bare(request: HttpRequest) -> HttpResponse:
    """Benchmarks only (BENCH_BARE_VIEW=1): the cheapest Django JSON answer, to compare /api/tally with."""
    return JsonResponse({"ok": True})
