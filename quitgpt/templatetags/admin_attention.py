from __future__ import annotations

from django import template

from quitgpt.attention import AttentionItem
from quitgpt.attention import needs_attention as _needs_attention

register = template.Library()


@register.simple_tag(takes_context=True)
def needs_attention(context: template.Context) -> list[AttentionItem]:
    """The admin front page's "Needs attention" items for the signed-in organiser."""
    request = context.get("request")
    return _needs_attention(request.user) if request is not None else []
