"""Dates, times and durations as the bot writes them: always weekday and date, in English.

Names come from fixed tables rather than strftime's %a/%b, which follow the process locale.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORKING_DAY_HOURS = 8.5


def day(d: date, *, today: date | None = None) -> str:
    """Like "Mon 1 Dec", adding the year ("Mon 4 Jan 2027") when ``today`` is in another year."""
    text = f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"
    if today is not None and today.year != d.year:
        text += f" {d.year}"
    return text


def day_range(a: date, b: date, *, today: date | None = None) -> str:
    """Like "Mon 1 Dec – Fri 5 Dec" (en dash); just the day when ``a == b``."""
    if b < a:
        raise ValueError(f"a date range cannot end ({b}) before it starts ({a})")
    if a == b:
        return day(a, today=today)
    return f"{day(a, today=today)} – {day(b, today=today)}"


def time_of_day(when: datetime, tz: ZoneInfo) -> str:
    """Like "17:00 GMT": 24-hour local time and the zone's abbreviation at that instant."""
    local = _local(when, tz)
    return f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"


def instant(when: datetime, tz: ZoneInfo, *, today: date | None = None) -> str:
    """Like "Tue 1 Dec, 17:00 GMT", in the zone ``tz``."""
    return f"{day(_local(when, tz).date(), today=today)}, {time_of_day(when, tz)}"


def duration_working_hours(hours: float) -> str:
    """An amount of working time in one unit, rounded to the nearest step (halves round up).

    Under an hour: whole minutes ("45 minutes"). Under a working day (8.5 hours): half hours
    ("3 working hours", "2.5 working hours"). Otherwise half working days ("2 working days").
    Each unit is chosen after rounding, so 59.7 minutes reads "1 working hour".
    """
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"a duration must be a finite number of hours, at least 0, not {hours!r}")
    minutes = _round_half_up(hours * 60)
    if minutes < 60:
        return _count(minutes, "minute")
    half_hours = _round_half_up(hours * 2)
    if half_hours < WORKING_DAY_HOURS * 2:
        return _count(half_hours / 2, "working hour")
    return _count(_round_half_up(hours / WORKING_DAY_HOURS * 2) / 2, "working day")


def _local(when: datetime, tz: ZoneInfo) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {when.isoformat()}")
    return when.astimezone(tz)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _count(amount: float, unit: str) -> str:
    number = f"{amount:.0f}" if amount == int(amount) else f"{amount:.1f}"
    return f"{number} {unit}" if amount == 1 else f"{number} {unit}s"
