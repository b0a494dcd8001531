"""The one helper that renders and sends an email: a subject / text / HTML trio of templates.

Every email the site sends is branded the same way: the HTML part extends `email/base.html` (a <title>,
the site's name, the manage and privacy links in the footer, the unsubscribe link where one applies) and
the plain-text part extends `email/base.txt`, which stands on its own (every link written out in full).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

# Addresses never to mail again (hard bounces, complaints): the updates app registers its check here in
# its AppConfig.ready(), so that this shared helper depends on no app.
_suppression_checks: list[Callable[[str], bool]] = []


_shared_connection: ContextVar = ContextVar("quitgpt_mail_connection", default=None)


@contextmanager
def one_connection() -> Iterator[None]:
    """Send every email of the block (a batch sender's) over one connection to the relay, instead of a
    connection, a greeting and a QUIT for each. A connection dropped on the way (a refused commit point,
    a relay that hung up) is opened again for the next email (quitgpt.smtp.EmailBackend.open)."""
    backend = get_connection()
    token = _shared_connection.set(backend)
    try:
        yield
    finally:
        _shared_connection.reset(token)
        backend.close()


def register_suppression_check(check: Callable[[str], bool]) -> None:
    _suppression_checks.append(check)


def is_suppressed(address: str) -> bool:
    return any(check(address) for check in _suppression_checks)


def _language(language: str | None) -> str:
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def privacy_url(language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("privacy")


def render_templated_email(
    *, template: str, to: str, context: dict, language: str | None = None, headers: dict | None = None
) -> EmailMultiAlternatives:
    """Render `template`_subject.txt / .txt / .html (e.g. "pledges/email/confirm") for one address, in
    the recipient's language; `site_url` and `privacy_url` are always in the context."""
    language = _language(language)
    context = {"site_url": settings.SITE_URL, "privacy_url": privacy_url(language), **context}
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        subject = " ".join(subject.split())  # one line: a newline in a subject is a header injection
        context["subject"] = subject
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_templated_email(
    *, template: str, to: str, context: dict, language: str | None = None, headers: dict | None = None
) -> None:
    """Render (as above) and send. Called only from tasks: a request owes an email, it never sends one.
    An address that bounced hard or complained (updates.Suppression) is never mailed again."""
    if is_suppressed(to):
        return
    message = render_templated_email(
        template=template, to=to, context=context, language=language, headers=headers
    )
    shared = _shared_connection.get()
    if shared is not None:
        shared.open()  # connects on the batch's first email (or again, if it dropped); kept open after
    message.connection = shared  # None: a connection of its own, closed after the message
    message.send()


def branded_html_from_text(*, subject: str, text: str, language: str | None = None) -> str:
    """The branded HTML part for an email written as plain text (allauth's): paragraphs, escaped."""
    language = _language(language)
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    with translation.override(language):
        return render_to_string(
            "email/from_text.html",
            {
                "subject": subject,
                "paragraphs": paragraphs,
                "site_url": settings.SITE_URL,
                "privacy_url": privacy_url(language),
            },
        )
