"""The share image is drawn with the bundled typeface, which has real glyphs for French: no tofu."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from tally import images

NOT_IN_THE_FONT = "\u0416"  # Cyrillic Zhe: outside the bundled Latin subset, so drawn as .notdef


def _glyph(char: str) -> tuple[tuple[int, int, int, int] | None, bytes]:
    font = images.og_font(80)
    mask = font.getmask(char)
    return mask.getbbox(), bytes(mask)


def test_the_notdef_box_is_what_a_missing_glyph_looks_like() -> None:
    # The check below can fail: two different missing characters draw the very same box.
    assert _glyph(NOT_IN_THE_FONT) == _glyph("\u4e2d")


@pytest.mark.parametrize("char", ["é", "ç", "œ", "É", "à", "ê", "ù", "«", "\u2019"])
def test_french_letters_have_their_own_glyph_not_the_notdef_box(char: str) -> None:
    bbox, pixels = _glyph(char)
    notdef_bbox, notdef_pixels = _glyph(NOT_IN_THE_FONT)
    assert bbox is not None
    assert (bbox, pixels) != (notdef_bbox, notdef_pixels)
    # An accented letter is its base letter plus a mark: taller than the bare letter, never a box.
    if char in "éçà":
        base_bbox, _ = _glyph({"é": "e", "ç": "c", "à": "a"}[char])
        assert (bbox[3] - bbox[1]) > (base_bbox[3] - base_bbox[1])


def test_the_french_share_image_is_a_1200x630_png() -> None:
    from PIL import Image

    with translation.override("fr"):
        png = images.og_png(1_523_441, "fr")
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 630)
    assert image.getpixel((5, 5)) == (0x17, 0x16, 0x1F)  # the brand's night background
