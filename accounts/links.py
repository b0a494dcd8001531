"""Links in allauth's emails are built from SITE_URL, never from the request's Host header and port.

allauth makes a password-reset or verification link with `request.build_absolute_uri()`: behind a proxy
that forwards another Host, or with a forged Host that ALLOWED_HOSTS lets through (e.g. a port), the
emailed link would point elsewhere. The one public address is SITE_URL, as for the pledges' emails.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


class SiteUrlLinks:
    """Mixin for the allauth account adapter: every link it emails starts with SITE_URL."""

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_url(path.replace("UID-KEY", quote(key)))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def render_mail(self, template_prefix: str, email, context: dict[str, Any], headers=None):
        # The "account already exists" and "unknown account" emails carry links that allauth's flows
        # build from the request. (In the reset email itself, `password_reset_url` is the key link,
        # already built above.) Done in render_mail, which every way of sending an email goes through.
        context = dict(context)
        if "signup_url" in context:
            context["signup_url"] = site_url(reverse("account_signup"))
        if template_prefix == "account/email/account_already_exists":
            context["password_reset_url"] = site_url(reverse("account_reset_password"))
        return super().render_mail(template_prefix, email, context, headers=headers)  # type: ignore[misc]


class AccountAdapter(SiteUrlLinks, DefaultAccountAdapter):
    """ACCOUNT_ADAPTER: allauth's defaults, with links from SITE_URL. Another adapter keeps SiteUrlLinks
    first among its bases (and calls `super().render_mail`)."""
