"""The one way the site writes a date or a time for people: the styles of `quitgpt/formats/<language>/`
(`FORMAT_MODULE_PATH`), in the active language and time zone. Templates use the `site_tags` filters
(`human_date`, `human_datetime`, `human_time`, and `iso_date`/`iso_datetime` for `<time datetime>`);
Python code (the chart, link previews) calls these functions. Machine formats (calendars, file names,
JSON) are ISO 8601 and do not come here."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format, time_format


def _local(value: date | datetime) -> date | datetime:
    """An aware date-time in the active time zone (a template's `{% timezone %}` or the site's)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def human_date(value: date | datetime | None) -> str:
    """ "3 March 2026" / "3 mars 2026"."""
    return date_format(_local(value), "DATE_FORMAT") if value else ""


def human_datetime(value: datetime | None) -> str:
    """ "Tuesday 3 March 2026, 14:00 CET" / "mardi 3 mars 2026, 14:00 CET"."""
    return date_format(_local(value), "DATETIME_FORMAT") if value else ""


def human_time(value: datetime | None) -> str:
    """ "14:00 CET": the time of a date-time already given in full nearby (an event's end)."""
    return time_format(_local(value), "TIME_FORMAT") if value else ""


def human_day_month(value: date | None) -> str:
    """ "3 March" / "3 mars": the date style without the year, where the year is said nearby."""
    return date_format(_local(value), "MONTH_DAY_FORMAT") if value else ""
