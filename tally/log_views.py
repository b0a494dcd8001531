"""The count's public log as JSON (CORS open, cacheable, no cookie) and the verifier script's download.

Bad parameters answer 400 with {"error": "..."}; nothing here ever counts rows beyond a page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from quitgpt.security import safe_only
from tally import log
from tally.log_models import SignedTreeHead

HEADS_PAGE = 100
COMMITMENT_RE = re.compile(r"^[0-9a-f]{64}$")
VERIFIER = Path(settings.BASE_DIR) / "scripts" / "verify_count.py"

# Heads and keys change with each run; entries and proofs below the latest head never change.
SHORT = {"public": True, "max_age": 15, "stale_while_revalidate": 30, "stale_if_error": 86400}
LONG = {"public": True, "max_age": 3600, "stale_if_error": 86400}


class BadParameter(ValueError):
    pass


def _answer(body: dict[str, Any], *, status: int = 200, cache: dict[str, Any] | None = None) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    if cache is not None:
        patch_cache_control(response, **cache)
    return response


def _bad(message: str) -> HttpResponse:
    return _answer({"error": message}, status=400, cache={"public": True, "max_age": 60})


def _int(request: HttpRequest, name: str, default: int | None = None, *, minimum: int = 0) -> int:
    if len(request.GET.getlist(name)) > 1:
        raise BadParameter(f"'{name}' is given more than once.")
    raw = request.GET.get(name)
    if raw == "":
        raise BadParameter(f"'{name}' is empty: give a whole number, or leave the parameter out.")
    if raw is None:
        if default is None:
            raise BadParameter(f"'{name}' is required: a whole number.")
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadParameter(f"'{name}' must be a whole number, not {raw[:40]!r}.")
    value = int(raw)
    if value < minimum:
        raise BadParameter(f"'{name}' must be at least {minimum}.")
    return value


def _signed_size() -> int:
    head = log.log_latest_head()
    return head.tree_size if head else 0


def _handles_bad_parameters(view):
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadParameter as exc:
            return _bad(str(exc))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@safe_only
def head(request: HttpRequest) -> HttpResponse:
    latest = log.log_latest_head()
    if latest is None:
        return _answer(
            {"error": "The log has no signed head yet: nothing has been counted."}, status=404, cache=SHORT
        )
    return _answer(log.head_json(latest), cache=SHORT)


@safe_only
@_handles_bad_parameters
def heads(request: HttpRequest) -> HttpResponse:
    page = _int(request, "page", 1, minimum=1)
    rows = list(
        SignedTreeHead.objects.order_by("-tree_size")[(page - 1) * HEADS_PAGE : page * HEADS_PAGE + 1]
    )
    more = len(rows) > HEADS_PAGE
    body = {
        "heads": [log.head_json(h) for h in rows[:HEADS_PAGE]],
        "page": page,
        "next": f"{request.path}?page={page + 1}" if more else None,
    }
    return _answer(body, cache=SHORT)


@safe_only
def key(request: HttpRequest) -> HttpResponse:
    return _answer(log.log_keys(), cache=SHORT)


@safe_only
@_handles_bad_parameters
def entries(request: HttpRequest) -> HttpResponse:
    start = _int(request, "start", 0)
    end = _int(request, "end", start + log.ENTRIES_PAGE_MAX)
    if end < start:
        raise BadParameter("'end' must not be below 'start'.")
    commitment = request.GET.get("commitment")
    if commitment is not None:
        if not COMMITMENT_RE.match(commitment):
            raise BadParameter("'commitment' must be 64 lowercase hexadecimal characters.")
        return _answer({"entries": log.log_entries_of(commitment)}, cache=SHORT)
    end = min(end, start + log.ENTRIES_PAGE_MAX)
    signed = _signed_size()
    end = min(end, signed)  # only what a signed head covers
    body = {"entries": log.log_entries(start=start, end=end) if end > start else []}
    full = end - start == log.ENTRIES_PAGE_MAX
    return _answer(body, cache=LONG if full else SHORT)


@safe_only
@_handles_bad_parameters
def proof(request: HttpRequest) -> HttpResponse:
    signed = _signed_size()
    tree_size = (
        _int(request, "tree_size", signed, minimum=1) if signed else _int(request, "tree_size", minimum=1)
    )
    index = _int(request, "index")
    if tree_size > signed:
        raise BadParameter(f"'tree_size' must be at most {signed}, the latest signed head's.")
    if index >= tree_size:
        raise BadParameter("'index' must be below 'tree_size'.")
    body = {
        "leaf_index": index,
        "tree_size": tree_size,
        "audit_path": log.log_inclusion_proof(index=index, tree_size=tree_size),
    }
    return _answer(body, cache=LONG)


@safe_only
@_handles_bad_parameters
def consistency(request: HttpRequest) -> HttpResponse:
    signed = _signed_size()
    first = _int(request, "first", minimum=1)
    second = _int(request, "second", signed or None, minimum=1)
    if second > signed:
        raise BadParameter(f"'second' must be at most {signed}, the latest signed head's.")
    if first > second:
        raise BadParameter("'first' must not be above 'second'.")
    body = {
        "first": first,
        "second": second,
        "consistency": log.log_consistency_proof(first=first, second=second),
    }
    return _answer(body, cache=LONG)


@safe_only
def verifier_script(request: HttpRequest) -> HttpResponse:
    response = FileResponse(VERIFIER.open("rb"), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_count.py"'
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
@cache_control(public=True, max_age=300)
def verify_page(request: HttpRequest) -> HttpResponse:
    """Works for anyone, signed in or not: the checks run in the visitor's browser (static/js/verify.js)."""
    return render(request, "tally/verify.html", {"site_url": settings.SITE_URL})
