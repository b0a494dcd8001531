"""Charts drawn on the server as SVG: no chart library in the browser, and nothing for the CSP to refuse
(presentation attributes only, no style attribute)."""

from __future__ import annotations

from datetime import date

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from quitgpt.dates import human_date, human_day_month

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 36


def axis_ticks(value: int, *, most: int = 4) -> list[int]:
    """Whole-number y-axis ticks from 0: a step of 1, 2 or 5 times a power of ten, at most `most` steps,
    the last at or above `value` (a top of 5 gives 0, 2, 4, 6: never a half step like 0/2/5)."""
    value = max(value, 1)
    power = 1
    while True:
        for step in (1, 2, 5):
            if -(-value // (step * power)) <= most:
                count = -(-value // (step * power))
                return [i * step * power for i in range(count + 1)]
        power *= 10


def daily_chart_svg(points: list[tuple[date, int]], *, language: str = "en") -> SafeString:
    """Bars of people confirmed per day, with a title and description for screen readers."""
    ticks = axis_ticks(max((n for _day, n in points), default=0))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    title = escape(_("People confirmed per day"))
    total = sum(n for _day, n in points)
    if points:
        desc = escape(
            _("%(total)s people confirmed from %(start)s to %(end)s.")
            % {
                "total": number_format(total, force_grouping=True),
                "start": human_date(points[0][0]),
                "end": human_date(points[-1][0]),
            }
        )
    else:
        desc = escape(_("No confirmed pledges yet."))
    parts = [
        f'<svg class="tally-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="tally-chart-title tally-chart-desc">',
        f'<title id="tally-chart-title">{title}</title><desc id="tally-chart-desc">{desc}</desc>',
    ]
    for tick in ticks:
        y = TOP + plot_h * (1 - tick / top)
        label = escape(number_format(tick, force_grouping=True))
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#4a4a55">{label}</text>'
        )
    for i, (day, n) in enumerate(points):
        h = plot_h * n / top
        x = LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="#a3001b">'
            f"<title>{escape(human_date(day))}: "
            f"{escape(number_format(n, force_grouping=True))}</title></rect>"
        )
    for i in (0, len(points) // 2, len(points) - 1) if points else ():
        x = LEFT + i * slot + slot / 2
        label = escape(human_day_month(points[i][0]))
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11" '
            f'fill="#4a4a55">{label}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
