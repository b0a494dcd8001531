"""The palette meets WCAG AA contrast, and the site answers a plain 503 page when the database is down."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import ROOT


def _palette() -> dict[str, str]:
    css = (ROOT / "static/css/site.css").read_text()
    root = css[css.index(":root") : css.index("}", css.index(":root"))]
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", root))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize(
    ("text", "background"),
    [
        ("ink", "paper"),
        ("ink", "soft"),
        ("muted", "paper"),
        ("muted", "soft"),  # help text and the footer sit on the soft background
        ("link", "paper"),
        ("link", "soft"),
        ("accent", "paper"),
        ("accent", "soft"),
        ("accent-ink", "accent"),  # button labels
        ("ok", "paper"),
        ("warn", "paper"),
    ],
)
def test_text_colours_meet_wcag_aa_on_their_backgrounds(text: str, background: str) -> None:
    palette = _palette()
    assert contrast(palette[text], palette[background]) >= 4.5


def test_the_contrast_check_itself_tells_good_from_bad() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") < 4.5


@pytest.mark.django_db
def test_a_page_answers_503_with_retry_after_when_the_database_is_down(
    client: Client, break_database
) -> None:

    break_database()
    response = client.get("/alternatives/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Back in a moment" in response.content.decode()
    assert "Traceback" not in response.content.decode()
