"""Wall-clock times in an event's own zone, and the two traps of daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


class NonexistentLocalTime(ValueError):
    """The clocks skip this time (e.g. 02:30 when they spring forward from 02:00 to 03:00)."""


def localize(naive: datetime, tz_name: str) -> datetime:
    """`naive` read as wall-clock time in `tz_name`, as an aware datetime.

    A time that occurs twice (clocks fall back) means its first occurrence; a time that does not exist
    (clocks spring forward) raises NonexistentLocalTime rather than silently shifting by an hour.
    """
    zone = ZoneInfo(tz_name)
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive.replace(tzinfo=None, fold=0):
        raise NonexistentLocalTime(f"{naive:%Y-%m-%d %H:%M} does not exist in {tz_name}")
    return aware
