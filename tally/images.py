"""The badge (SVG) and the Open Graph image (PNG) showing the current figure, through tally_display."""

from __future__ import annotations

import io

from django.conf import settings
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


FONT_PATH = settings.BASE_DIR / "static" / "fonts" / "inter-latin-wght-normal.woff2"
NIGHT, SUN, RED, WHITE, MUTED = "#17161f", "#ffc94d", "#b3001b", "#ffffff", "#d3d1dc"


def og_font(size: int, weight: int = 800):
    """The site's typeface (Inter, variable, covering Latin and French) at `size` px and `weight`."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(FONT_PATH), size)
    font.set_variation_by_axes([weight])
    return font


def _logo(draw, x: int, y: int, size: int) -> None:
    """The logo mark (static/img/logo.svg): a red square, a chat bubble, crossed out."""
    k = size / 100
    draw.rounded_rectangle((x, y, x + size, y + size), radius=22 * k, fill=RED)
    w = max(int(7 * k), 2)
    draw.rounded_rectangle(
        (x + 17 * k, y + 27 * k, x + 83 * k, y + 70 * k), radius=9 * k, outline=WHITE, width=w
    )
    draw.polygon([(x + 32 * k, y + 68 * k), (x + 47 * k, y + 68 * k), (x + 32 * k, y + 82 * k)], fill=WHITE)
    draw.line((x + 18 * k, y + 84 * k, x + 84 * k, y + 18 * k), fill=RED, width=int(17 * k))
    draw.line((x + 20 * k, y + 82 * k, x + 82 * k, y + 20 * k), fill=WHITE, width=w)


def _fit(draw, text: str, size: int, weight: int, width: int):
    """The font at `size`, shrunk until `text` fits in `width` px (long translations stay on the card)."""
    font = og_font(size, weight)
    while size > 16 and draw.textlength(text, font=font) > width:
        size -= 2
        font = og_font(size, weight)
    return font


def og_png(total: int, language: str, reported: int = 0) -> bytes:
    """1200x630 PNG with the figure (and its reported part, labelled), in the brand and its typeface;
    cached per shown value and language (drawing takes ~50 ms)."""
    shown = tally_display(total, language)
    note = reported_note(reported, language)
    part = tally_display(reported, language) if note else ""
    key = f"tally:og:v2:{language}:{shown.encode().hex()}:{part.encode().hex()}"
    try:
        png = cache.get(key)
    except Exception:
        png = None
    if png is not None:
        return png
    from PIL import Image, ImageDraw

    image = Image.new("RGB", OG_SIZE, NIGHT)
    draw = ImageDraw.Draw(image)
    inner = OG_SIZE[0] - 160
    _logo(draw, 80, 70, 72)
    draw.text((172, 78), "Quit", font=og_font(56, 850), fill=WHITE)
    quit_w = draw.textlength("Quit", font=og_font(56, 850))
    draw.text((172 + quit_w, 78), "GPT", font=og_font(56, 850), fill=RED)
    draw.text((80, 180), shown, font=_fit(draw, shown, 190, 850, inner), fill=SUN)
    label = _("people have quit ChatGPT or shared the boycott")
    draw.text((80, 420), label, font=_fit(draw, label, 46, 700, inner), fill=WHITE)
    if note:
        draw.text((80, 484), note, font=_fit(draw, note, 28, 500, inner), fill=MUTED)
    call = _("Join them: quit ChatGPT.")
    draw.text((80, 530 if note else 500), call, font=_fit(draw, call, 40, 500, inner), fill=MUTED)
    draw.rectangle((0, OG_SIZE[1] - 16, OG_SIZE[0], OG_SIZE[1]), fill=RED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    try:
        cache.set(key, png, 24 * 3600)
    except Exception:  # noqa: S110  # nosec B110
        pass
    return png
