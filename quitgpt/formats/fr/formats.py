"""French: « 3 mars 2026 » ; « mardi 3 mars 2026, 14:00 CET » (the weekday helps people place an event)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "l j F Y, H:i T"
TIME_FORMAT = "H:i T"
# The same style without the year, where the year is said nearby (the chart's axis under its title).
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# Django's admin and widgets read the short names: the same styles, so no second one appears anywhere.
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
