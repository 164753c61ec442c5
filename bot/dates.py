"""Dates as people type them: `2026-12-21`, `21 Dec`, `Dec 21`, `today`, `tomorrow`, `mon`,
`this monday`, `next monday`.

A bare weekday name means its next occurrence strictly after today (typed on a Monday, `mon`
is a week away); `this monday` is today when today is Monday, else the same as `monday`.
`next monday` is the Monday of next week (for any weekday name). `tomorrow` is the next
working day, so on a Friday it means Monday. `21 Dec` without a year is the next 21 December
on or after today.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.worktime import WorkCalendar

MAX_RANGE_DAYS = 366
ECHO_LIMIT = 60
EXAMPLES = "2026-12-21, 21 Dec, Dec 21, today, tomorrow, fri or next monday"

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?")
_WEEKDAY = re.compile(r"(?:(this|next)\s+)?([a-z]+)")


class DateError(ValueError):
    """A date a person typed could not be understood; the message says why, with an example."""


def parse_date(text: str, *, today: date, calendar: WorkCalendar) -> date:
    """The date ``text`` means, typed on ``today`` (local)."""
    words = " ".join(text.strip().lower().split())
    if not words:
        raise DateError(f"I expected a date, such as {EXAMPLES}.")
    if words == "today":
        return today
    if words == "tomorrow":
        return calendar.next_working_day(today)
    if match := _ISO.fullmatch(words):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _DAY_MONTH.fullmatch(words):
        return _day_month(int(match[1]), match[2], match[3], today=today, text=text)
    if match := _MONTH_DAY.fullmatch(words):
        return _day_month(int(match[2]), match[1], match[3], today=today, text=text)
    if (match := _WEEKDAY.fullmatch(words)) and match[2] in WEEKDAYS:
        return _weekday(WEEKDAYS[match[2]], match[1], today)
    raise DateError(f"I don't understand the date {echo(text)!r}: try {EXAMPLES}.")


def parse_range(
    first_text: str, last_text: str | None, *, today: date, calendar: WorkCalendar
) -> tuple[date, date]:
    """A range of days, inclusive; it must not lie in the past nor end before it starts.

    An end given as a weekday name is read from the start, so `mon fri` is Monday to the
    Friday after it and `fri mon` spans the weekend.
    """
    first = parse_date(first_text, today=today, calendar=calendar)
    last = first
    if last_text is not None:
        end_from = max(today, first - timedelta(days=1)) if _is_weekday(last_text) else today
        last = parse_date(last_text, today=end_from, calendar=calendar)
    if last < first:
        raise DateError(
            f"{last_text} ({last.isoformat()}) is before {first_text} ({first.isoformat()}): "
            "the range must end on or after its start, e.g. `21 Dec 24 Dec`."
        )
    if last < today:
        raise DateError(
            f"That range ended on {last.isoformat()}, in the past: give dates from today on, "
            "e.g. `tomorrow fri`."
        )
    if (last - first).days > MAX_RANGE_DAYS:
        raise DateError(
            f"{first.isoformat()} to {last.isoformat()} is longer than a year: "
            "give a shorter range, e.g. `21 Dec 2 Jan`."
        )
    return first, last


def echo(text: str) -> str:
    """The person's text, shortened so that a reply quoting it stays short."""
    text = " ".join(text.split())
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"


def _is_weekday(text: str) -> bool:
    match = _WEEKDAY.fullmatch(" ".join(text.strip().lower().split()))
    return match is not None and match[1] != "next" and match[2] in WEEKDAYS


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(
            f"{echo(text)!r} is not a date on the calendar: try e.g. 2026-12-21."
        ) from None


def _day_month(day: int, month_name: str, year: str | None, *, today: date, text: str) -> date:
    month = MONTHS.get(month_name)
    if month is None:
        raise DateError(
            f"I don't know the month {echo(month_name)!r}: try e.g. 21 Dec or 21 December."
        )
    if year is not None:
        return _make(int(year), month, day, text)
    # The next occurrence on or after today; 29 February may be up to four years away.
    for next_year in range(today.year, today.year + 5):
        candidate = _make_lenient(next_year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return _make(today.year, month, day, text)


def _make_lenient(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(weekday: int, qualifier: str | None, today: date) -> date:
    if qualifier == "next":
        monday_next_week = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday_next_week + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and qualifier != "this":
        ahead = 7
    return today + timedelta(days=ahead)
