"""allauth's emails go through the outbox: rendered in the request, sent by a task after commit.

A dead relay therefore never turns a sign-in or a sign-up into a 500 (nor leaves a half-made account
behind a failed send), and a slow one never holds a web worker.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from accounts.links import SiteUrlLinks
from outbox.services import outbox_owe
from quitgpt.mail import branded_html_from_text, privacy_url


class AccountAdapter(SiteUrlLinks, DefaultAccountAdapter):
    """SiteUrlLinks first (links from SITE_URL), then the outbox instead of sending."""

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
