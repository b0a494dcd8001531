"""Markdown to an email: a branded HTML part and a plain-text part.

markdown-it-py in its "commonmark" preset with raw HTML off (any HTML in the body is shown as text), images
off (no remote image can track a reader: `![x](url)` stays text), and links left as they are (no click
tracking). There is no tracking pixel anywhere.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _safe_link(url: str) -> bool:
    return url.lower().startswith(("https://", "http://", "mailto:"))


def markdown_to_html(source: str) -> str:
    """Safe HTML for a Markdown body: raw HTML escaped, no images, only http(s)/mailto links."""
    tokens = _md.parse(source)
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open" and not _safe_link(str(child.attrGet("href") or "")):
                child.attrSet("href", "#")
    return _md.renderer.render(tokens, _md.options, {})


def markdown_to_text(source: str) -> str:
    """The plain-text part: the Markdown itself reads well as text; line endings made uniform."""
    return source.replace("\r\n", "\n").strip()
