"""Response helpers shared by the apps' views."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.cache import patch_cache_control


def private(response: HttpResponse) -> HttpResponse:
    """A page reached through a private link: never stored, and the link never leaks in a Referer."""
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    return response


def json_download(body: Any) -> HttpResponse:
    """A private JSON download of someone's own data (the manage link's, and "My pledges" in accounts)."""
    response = HttpResponse(
        json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="quitgpt-my-data.json"'
    return private(response)
