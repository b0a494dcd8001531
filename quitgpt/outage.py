"""The answer when PostgreSQL is down, shared by the middleware that meet it (quitgpt.middleware for views,
accounts.middleware while loading a session's user): one page, written once, no middleware building
another."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# What the database driver raises when PostgreSQL cannot be reached.
DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A plain 503 page with Retry-After, never cached, instead of a traceback or a bare 500."""
    logger.error("database unavailable: %s", exception)
    body = render_to_string("503.html", {"request": request})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response
