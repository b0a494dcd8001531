"""The badge (SVG) and the Open Graph image (PNG) showing the current figure, through tally_display."""

from __future__ import annotations

import io

from django.core.cache import cache
from django.utils.html import escape
from django.utils.translation import gettext as _

from tally.display import reported_note, reported_short, tally_display

OG_SIZE = (1200, 630)


def badge_svg(total: int, language: str, reported: int = 0) -> str:
    """A shields-style badge: "QuitGPT | 1.5M+ in the boycott". The figure counts people who quit *or*
    shared, so the label never says just "quit"; a reported part says so ("incl. 300 reported,
    unconfirmed"). Widths estimated from the text length."""
    label = "QuitGPT"
    value = _("%(count)s in the boycott") % {"count": tally_display(total, language)}
    if reported > 0:
        value = f"{value} ({reported_short(reported, language)})"
    char = 7.0
    lw, vw = int(len(label) * char + 14), int(len(value) * char + 14)
    width = lw + vw
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{escape(label)}: {escape(value)}">'
        f"<title>{escape(label)}: {escape(value)}</title>"
        f'<rect width="{lw}" height="20" fill="#1b1b1f"/>'
        f'<rect x="{lw}" width="{vw}" height="20" fill="#a3001b"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">'
        f'<text x="{lw / 2:.1f}" y="14">{escape(label)}</text>'
        f'<text x="{lw + vw / 2:.1f}" y="14">{escape(value)}</text></g></svg>'
    )


def og_png(total: int, language: str, reported: int = 0) -> bytes:
    """1200x630 PNG with the figure (and its reported part, labelled); cached per shown value and
    language (drawing takes ~50 ms)."""
    shown = tally_display(total, language)
    note = reported_note(reported, language)
    key = f"tally:og:{language}:{shown}:{tally_display(reported, language) if note else ''}"
    try:
        png = cache.get(key)
    except Exception:
        png = None
    if png is not None:
        return png
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", OG_SIZE, "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, OG_SIZE[0], 24), fill="#a3001b")
    draw.text((80, 80), "QuitGPT", font=ImageFont.load_default(size=64), fill="#1b1b1f")
    draw.text((80, 190), shown, font=ImageFont.load_default(size=200), fill="#a3001b")
    draw.text(
        (80, 440),
        _("people have quit ChatGPT or shared the boycott"),
        font=ImageFont.load_default(size=44),
        fill="#1b1b1f",
    )
    if note:
        draw.text((80, 495), note, font=ImageFont.load_default(size=28), fill="#4a4a55")
    draw.text((80, 545), _("Join them: quit ChatGPT."), font=ImageFont.load_default(size=40), fill="#4a4a55")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    try:
        cache.set(key, png, 24 * 3600)
    except Exception:  # noqa: S110  # nosec B110
        pass
    return png
