"""allauth's account adapter (ACCOUNT_ADAPTER).

- Its emails go through the outbox: rendered in the request, sent by a task after commit. A dead relay
  therefore never turns a sign-in or a sign-up into a 500 (nor leaves a half-made account behind a failed
  send), and a slow one never holds a web worker.
- Links start with SITE_URL (accounts.links.SiteUrlLinks, first among the bases).
- Organisers' first sign-in takes at most four screens from /admin/ to the admin (issue 13): sign in, set
  up the authenticator, save the recovery codes, the admin.
"""

from __future__ import annotations

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from accounts.links import SiteUrlLinks
from accounts.selectors import staff_has_totp
from outbox.services import outbox_owe
from quitgpt.mail import branded_html_from_text, privacy_url

# A password typed this recently is fresh enough to set up a *first* authenticator without typing it again.
FRESH_SIGN_IN_SECONDS = 300


class AccountAdapter(SiteUrlLinks, DefaultAccountAdapter):
    """SiteUrlLinks first (links from SITE_URL), the outbox instead of sending, the first sign-in rule."""

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers=headers)
        # allauth's templates are text only: wrap the text in the site's branded HTML part.
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            message.attach_alternative(
                branded_html_from_text(
                    subject=message.subject, text=message.body, language=translation.get_language()
                ),
                "text/html",
            )
        elif not isinstance(message, EmailMultiAlternatives):
            alt = EmailMultiAlternatives(
                subject=message.subject,
                body=message.body,
                from_email=message.from_email,
                to=message.to,
                headers=message.extra_headers,
            )
            alt.attach_alternative(
                branded_html_from_text(
                    subject=message.subject, text=message.body, language=translation.get_language()
                ),
                "text/html",
            )
            message = alt
        return message

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        language = translation.get_language() or settings.LANGUAGE_CODE
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
            "privacy_url": privacy_url(language),
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        outbox_owe(message=message)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Not for setting up the first authenticator right after signing in: the password was just given,
        and there is no second factor yet to protect. Every other sensitive change still asks."""
        request = self.request
        user = getattr(request, "user", None)
        if (
            app == "allauth.mfa"
            and user is not None
            and user.is_authenticated
            and not staff_has_totp(user=user)
            and any(
                time.time() - float(record.get("at", 0)) <= FRESH_SIGN_IN_SECONDS
                for record in get_authentication_records(request, user)
            )
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)
