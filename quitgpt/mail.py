"""The one helper that renders and sends an email: a subject / text / HTML trio of templates."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_email(*, template: str, to: str, context: dict, language: str | None = None) -> None:
    """Send `template`_subject.txt / .txt / .html (e.g. "pledges/email/confirm") to one address.

    Rendered in the recipient's language; `site_url` is always in the context for absolute links.
    """
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    subject = " ".join(subject.split())  # one line: a newline in a subject is a header injection
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.send()
