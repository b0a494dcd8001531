"""Every public page writes dates one way per language (quitgpt.dates, formats in quitgpt/formats/):
"3 March 2026" / "3 mars 2026", and "Tuesday 3 March 2026, 14:00 CET" / "mardi 3 mars 2026, 14:00 CET"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from alternatives.models import Alternative
from campaign.models import RenewalReminder
from pledges import services
from quitgpt import dates
from tally.charts import daily_chart_svg
from tally.services import tally_recompute
from tests.conftest import ROOT
from tests.events.conftest import make_event
from tests.factories import make_pledge

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday; Paris is on CET (UTC+1) in January.
START = datetime(2030, 1, 15, 14, 0, tzinfo=PARIS)
END = datetime(2030, 1, 15, 16, 30, tzinfo=PARIS)
EVENT_EN = "Tuesday 15 January 2030, 14:00 CET"
EVENT_FR = "mardi 15 janvier 2030, 14:00 CET"


def _html(client, path: str) -> str:
    cache.clear()  # hot pages are stored per process for a few seconds
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_styles_are_one_date_and_one_date_time_per_language() -> None:
    moment = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
    with translation.override("en"):
        assert dates.human_date(date(2026, 3, 3)) == "3 March 2026"
        assert dates.human_datetime(moment) == "Tuesday 3 March 2026, 14:05 UTC"
        assert dates.human_time(moment) == "14:05 UTC"
    with translation.override("fr"):
        assert dates.human_date(date(2026, 3, 3)) == "3 mars 2026"
        assert dates.human_datetime(moment) == "mardi 3 mars 2026, 14:05 UTC"
    # Times are 24-hour: never "2:05 p.m.".
    with translation.override("en"):
        assert dates.human_time(datetime(2026, 3, 3, 21, 0, tzinfo=UTC)) == "21:00 UTC"


def test_events_list_detail_and_home_show_the_local_date_and_time_with_its_zone(client) -> None:
    event = make_event(title="Rally", starts_at=START, ends_at=END)
    for path in ("/events/", f"/events/{event.slug}/"):
        html = _html(client, path)
        assert EVENT_EN in html, path
        assert "16:30 CET</time>" in html and "p.m." not in html
        assert EVENT_FR in _html(client, "/fr" + path), path
    assert ">15 January 2030</time>" in _html(client, "/")
    assert ">15 janvier 2030</time>" in _html(client, "/fr/")


def test_an_event_email_writes_both_ends_in_full() -> None:
    event = make_event(starts_at=START, ends_at=END)
    with translation.override("fr"):
        text = render_to_string("events/email/_details.txt", {"event": event})
    assert f"{EVENT_FR} \N{EN DASH} mardi 15 janvier 2030, 16:30 CET" in text


def test_the_directory_shows_when_an_entry_was_last_reviewed(client) -> None:
    Alternative.objects.filter(slug="lumo").update(last_reviewed=date(2026, 3, 3))
    detail = _html(client, "/alternatives/lumo/")
    assert '<time datetime="2026-03-03">3 March 2026</time>' in detail
    assert "3 mars 2026" in _html(client, "/fr/alternatives/lumo/")
    assert "3 March 2026" in _html(client, "/alternatives/compare/")


def test_the_wall_dates_each_supporter(client) -> None:
    make_pledge(
        status="confirmed",
        confirmed_at=datetime(2026, 3, 3, 23, 30, tzinfo=UTC),
        first_name="Nora",
        wall_consent=True,
        message_approved=True,
    )
    assert ">3 March 2026</time>" in _html(client, "/supporters/")
    assert ">3 mars 2026</time>" in _html(client, "/fr/supporters/")


def test_the_manage_page_and_the_reminder_emails_write_the_renewal_date(client) -> None:
    pledge = make_pledge(status="confirmed")
    reminder = RenewalReminder.objects.create(supporter=pledge.supporter, renews_on=date(2027, 3, 14))
    token = services.manage_token_for(pledge.supporter)
    assert "A reminder is set for 14 March 2027." in _html(client, f"/pledge/manage/{token}/")
    with translation.override("fr"):
        subject = render_to_string("campaign/email/renewal_before_subject.txt", {"reminder": reminder})
    assert "14 mars 2027" in subject


@time_machine.travel(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), tick=False)
def test_how_we_count_and_its_chart_write_the_days(client) -> None:
    make_pledge(status="confirmed", confirmed_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    tally_recompute()
    html = _html(client, "/how-we-count/")
    assert "<td>3 March 2026</td>" in html
    assert "<td>3 mars 2026</td>" in _html(client, "/fr/how-we-count/")
    with translation.override("fr"):
        svg = daily_chart_svg([(date(2026, 3, 1), 2), (date(2026, 3, 2), 0), (date(2026, 3, 3), 5)])
    assert "7 personnes confirmées du 1 mars 2026 au 3 mars 2026." in svg  # its description
    assert "<title>3 mars 2026: 5</title>" in svg  # each bar
    assert ">3 mars</text>" in svg  # the axis: the same style, the year being in the title


# --- No other way of writing a date ---------------------------------------------------------------------

# A date or time filter in a template: `|date`, `|date:"..."`, `|time:'...'`.
TEMPLATE_FILTER = re.compile(r"\|\s*(?:date|time)\b")
# Formatting a date for people in Python, outside quitgpt/dates.py.
PYTHON_CALL = re.compile(r"\b(?:date_format|time_format)\(|\bformats\.(?:date|time)_format\b")
# strftime with names of days or months, or a 12-hour clock: a format for people, not machines.
HUMAN_STRFTIME = re.compile(r"strftime\([^)]*%[aAbBpIc]")
APP_DIRS = (
    "quitgpt",
    "pledges",
    "tally",
    "alternatives",
    "events",
    "accounts",
    "updates",
    "outbox",
    "campaign",
)


def _offences(paths, pattern: re.Pattern) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_template_formats_a_date_its_own_way() -> None:
    templates = sorted(Path(ROOT, "templates").rglob("*.html")) + sorted(
        Path(ROOT, "templates").rglob("*.txt")
    )
    assert len(templates) > 50
    assert _offences(templates, TEMPLATE_FILTER) == [], (
        "use human_date / human_datetime / human_time / iso_date"
    )


def test_no_code_formats_a_date_for_people_outside_quitgpt_dates() -> None:
    sources = [
        path
        for folder in APP_DIRS
        for path in sorted(Path(ROOT, folder).rglob("*.py"))
        if "migrations" not in path.parts and path != Path(ROOT, "quitgpt", "dates.py")
    ]
    assert _offences(sources, PYTHON_CALL) == []
    assert _offences(sources, HUMAN_STRFTIME) == []


def test_the_checks_themselves_catch_an_ad_hoc_format(tmp_path) -> None:
    sample = tmp_path / "sample.html"
    sample.write_text('{{ event.starts_at|date:"N j, Y" }}\n{{ x|time }}\n{{ y|human_date }}\n')
    assert len(_offences_in(sample, TEMPLATE_FILTER)) == 2
    code = tmp_path / "sample.py"
    code.write_text('formats.date_format(x, "j M")\nx.strftime("%d %B %Y")\nx.strftime("%Y%m%d")\n')
    assert len(_offences_in(code, PYTHON_CALL)) == 1 and len(_offences_in(code, HUMAN_STRFTIME)) == 1


def _offences_in(path: Path, pattern: re.Pattern) -> list[str]:
    return [line for line in path.read_text().splitlines() if pattern.search(line)]
