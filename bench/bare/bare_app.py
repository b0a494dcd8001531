"""The bare Django app the web benchmark compares the project with (bench/web.py).

Only SecurityMiddleware and CommonMiddleware; one view answering a small JsonResponse, one doing one
INSERT through a persistent database connection. Served by gunicorn with the project's worker count:

    BARE_DATABASE_URL=postgres://... gunicorn --chdir bench/bare bare_app:application
"""

from __future__ import annotations

import os
import secrets

import dj_database_url
import django
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("BARE_SECRET_KEY") or secrets.token_urlsafe(50),
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    INSTALLED_APPS=[],
    DATABASES={
        "default": dj_database_url.parse(
            os.environ.get("BARE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qg_bench"),
            conn_max_age=None,  # persistent: one connection per worker for its whole life
        )
    },
    USE_TZ=True,
)
django.setup()

TABLE = "bench_bare_row"


def json_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


@csrf_exempt
def insert_view(request: HttpRequest) -> HttpResponse:
    """One INSERT of the posted address (what a pledge costs at the very least)."""
    email = request.POST.get("email", "")[:254]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (email) VALUES (%s)", [email])  # nosec B608
    return HttpResponse(status=303, headers={"Location": "/json"})


urlpatterns = [path("json", json_view), path("insert", insert_view)]


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, email text NOT NULL)")
    connection.close()


from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
