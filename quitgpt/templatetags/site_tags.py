from __future__ import annotations

from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def translated_path(context: template.Context, language: str) -> str:
    """This page's address in another language (i18n_patterns: English unprefixed, /fr/ for French)."""
    request = context.get("request")
    if request is None:
        return "/" if language == "en" else f"/{language}/"
    return translate_url(request.get_full_path(), language)
