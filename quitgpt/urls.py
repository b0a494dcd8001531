"""URLs. Pages sit in i18n_patterns (English unprefixed, French under /fr/) so that each URL has one
language and a CDN can cache it; machine addresses (APIs, health, admin, embeds) are language-free."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from quitgpt import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("r/<str:code>/seen.gif", views.referral_seen, name="referral_seen"),
    path("api/openapi.json", views.openapi_json, name="openapi"),
    path("admin/", admin.site.urls),
    path("", include("tally.api_urls")),
    path("", include("alternatives.api_urls")),
    path("", include("events.api_urls")),
    path("", include("updates.urls")),
    path("", include("campaign.embed_urls")),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("partners/", views.partners, name="partners"),
    path("r/<str:code>", views.referral, name="referral"),
    # Before allauth's own: the same page, keeping `next` and counting the code as this session's MFA.
    path("accounts/2fa/totp/activate/", accounts_views.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("pledges.urls")),
    path("", include("campaign.urls")),
    path("", include("tally.urls")),
    path("alternatives/", include("alternatives.urls")),
    path("events/", include("events.urls")),
    prefix_default_language=False,
)
