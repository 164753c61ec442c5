"""Dates as people type them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dates import DateError, parse_date, parse_range
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar()
WEDNESDAY = date(2026, 12, 2)
FRIDAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2026-12-21", WEDNESDAY, date(2026, 12, 21)),
        ("21 Dec", WEDNESDAY, date(2026, 12, 21)),
        ("21 december", WEDNESDAY, date(2026, 12, 21)),
        ("Dec 21", WEDNESDAY, date(2026, 12, 21)),
        ("21st Dec 2027", WEDNESDAY, date(2027, 12, 21)),
        ("1 Dec", WEDNESDAY, date(2027, 12, 1)),  # already past this year
        ("2 Dec", WEDNESDAY, date(2026, 12, 2)),
        ("today", WEDNESDAY, WEDNESDAY),
        ("tomorrow", WEDNESDAY, date(2026, 12, 3)),
        ("tomorrow", FRIDAY, date(2026, 12, 7)),  # Friday's tomorrow is Monday
        ("tomorrow", date(2027, 5, 28), date(2027, 6, 1)),  # after a bank-holiday Monday
        ("mon", WEDNESDAY, date(2026, 12, 7)),
        ("WED", WEDNESDAY, date(2026, 12, 9)),  # strictly after today
        ("this wednesday", WEDNESDAY, WEDNESDAY),
        ("friday", WEDNESDAY, FRIDAY),
        ("next monday", WEDNESDAY, date(2026, 12, 7)),
        ("next friday", WEDNESDAY, date(2026, 12, 11)),
    ],
)
def test_parse_date(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today=today, calendar=CALENDAR) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "I expected a date"),
        ("soon", "I don't understand the date 'soon'"),
        ("31 Feb 2027", "is not a date on the calendar"),
        ("2026-13-01", "is not a date on the calendar"),
        ("21 Smarch", "I don't know the month 'smarch'"),
        ("next dec", "I don't understand"),
    ],
)
def test_parse_date_errors_are_sentences_with_an_example(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message) as error:
        parse_date(text, today=WEDNESDAY, calendar=CALENDAR)
    assert "e.g." in str(error.value) or "try" in str(error.value) or "such as" in str(error.value)


def test_29_february_without_a_year_is_the_next_one() -> None:
    assert parse_date("29 Feb", today=WEDNESDAY, calendar=CALENDAR) == date(2028, 2, 29)


def test_ranges() -> None:
    assert parse_range("mon", "fri", today=WEDNESDAY, calendar=CALENDAR) == (
        date(2026, 12, 7),
        date(2026, 12, 11),
    )
    assert parse_range("21 Dec", "2 Jan", today=WEDNESDAY, calendar=CALENDAR) == (
        date(2026, 12, 21),
        date(2027, 1, 2),
    )
    assert parse_range("today", None, today=WEDNESDAY, calendar=CALENDAR) == (
        WEDNESDAY,
        WEDNESDAY,
    )
    with pytest.raises(DateError, match="must end on or after its start"):
        parse_range("10 Dec", "8 Dec", today=WEDNESDAY, calendar=CALENDAR)
    with pytest.raises(DateError, match="in the past"):
        parse_range("2026-11-02", "2026-11-03", today=WEDNESDAY, calendar=CALENDAR)
    with pytest.raises(DateError, match="longer than a year"):
        parse_range("today", "2028-01-01", today=WEDNESDAY, calendar=CALENDAR)
