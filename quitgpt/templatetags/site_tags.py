from __future__ import annotations

from django import template
from django.urls import translate_url

from quitgpt import dates

register = template.Library()


@register.simple_tag(takes_context=True)
def translated_path(context: template.Context, language: str) -> str:
    """This page's address in another language (i18n_patterns: English unprefixed, /fr/ for French)."""
    request = context.get("request")
    if request is None:
        return "/" if language == "en" else f"/{language}/"
    return translate_url(request.get_full_path(), language)


@register.simple_tag
def icon(name: str, css_class: str = "") -> str:
    """An inline SVG icon from quitgpt.icons (aria-hidden: pair it with visible text)."""
    from django.utils.safestring import mark_safe

    from quitgpt.icons import icon_svg

    return mark_safe(icon_svg(name, css_class))  # noqa: S308  # nosec B308 B703: our own constant markup


@register.simple_tag(takes_context=True)
def page_path(context: template.Context, language: str) -> str:
    """This page's path (no query string) in `language`: for the canonical and hreflang links."""
    request = context.get("request")
    if request is None:
        return "/" if language == "en" else f"/{language}/"
    return translate_url(request.path, language)


@register.filter(expects_localtime=True)
def human_date(value) -> str:
    """A date for people, in the site's one date style (quitgpt.dates)."""
    return dates.human_date(value)


@register.filter(expects_localtime=True)
def human_datetime(value) -> str:
    """A date and time for people, in the site's one date-time style (quitgpt.dates)."""
    return dates.human_datetime(value)


@register.filter(expects_localtime=True)
def human_time(value) -> str:
    """The time of day with its zone, where the date is given nearby (quitgpt.dates)."""
    return dates.human_time(value)


@register.filter
def iso_date(value) -> str:
    """A `<time datetime>` value for a date: YYYY-MM-DD."""
    from datetime import date

    return value.isoformat()[:10] if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def iso_datetime(value) -> str:
    """A `<time datetime>` value: ISO 8601 to the second with the active zone's offset (as `date:'c'`,
    without the microseconds that the HTML checker refuses)."""
    from datetime import datetime

    if not isinstance(value, datetime):
        return ""
    return value.replace(microsecond=0).isoformat()
