"""Language-free addresses: the JSON/CSV open data, the embeddable counter, the badge and the image."""

from django.conf import settings
from django.urls import path

from tally import log_views, views

app_name = "tally_api"
urlpatterns = [
    path("api/tally", views.api_tally, name="tally"),
    path("api/tally/daily.json", views.api_daily_json, name="daily_json"),
    path("api/tally/daily.csv", views.api_daily_csv, name="daily_csv"),
    path("embed/counter/", views.embed_counter, name="embed_counter"),
    path("badge.svg", views.badge_svg, name="badge"),
    path("og.png", views.og_png, name="og"),
    path("api/log/head", log_views.head, name="log_head"),
    path("api/log/heads", log_views.heads, name="log_heads"),
    path("api/log/key", log_views.key, name="log_key"),
    path("api/log/entries", log_views.entries, name="log_entries"),
    path("api/log/proof", log_views.proof, name="log_proof"),
    path("api/log/consistency", log_views.consistency, name="log_consistency"),
    path("api/log/verify_count.py", log_views.verifier_script, name="log_verifier"),
]

if settings.BENCH_BARE_VIEW:
    urlpatterns.append(path("bench/bare", views.bench_bare, name="bench_bare"))
