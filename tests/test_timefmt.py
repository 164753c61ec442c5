"""How the bot writes days, times and durations: always weekday and date, in English."""

from __future__ import annotations

import locale
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import timefmt

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("d", "today", "text"),
    [
        (date(2025, 12, 1), None, "Mon 1 Dec"),
        (date(2026, 12, 1), date(2026, 11, 27), "Tue 1 Dec"),
        (date(2027, 1, 4), None, "Mon 4 Jan"),
        (date(2027, 1, 4), date(2026, 12, 24), "Mon 4 Jan 2027"),
        (date(2026, 12, 31), date(2027, 1, 4), "Thu 31 Dec 2026"),
        (date(2026, 8, 31), date(2026, 8, 31), "Mon 31 Aug"),
        (date(2026, 3, 29), None, "Sun 29 Mar"),
    ],
)
def test_day(d: date, today: date | None, text: str) -> None:
    assert timefmt.day(d, today=today) == text


def test_every_weekday_and_month_has_its_english_abbreviation() -> None:
    week = [timefmt.day(date(2026, 11, 30) + timedelta(days=i)) for i in range(7)]
    assert week == [
        "Mon 30 Nov",
        "Tue 1 Dec",
        "Wed 2 Dec",
        "Thu 3 Dec",
        "Fri 4 Dec",
        "Sat 5 Dec",
        "Sun 6 Dec",
    ]
    months = [timefmt.day(date(2026, month, 9)).split()[-1] for month in range(1, 13)]
    assert " ".join(months) == "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"


@pytest.fixture
def foreign_locale() -> Iterator[str]:
    """LC_TIME switched to a non-English locale, when the system has one."""
    previous = locale.setlocale(locale.LC_TIME)
    for name in ("de_DE.UTF-8", "fr_FR.UTF-8", "es_ES.UTF-8"):
        try:
            locale.setlocale(locale.LC_TIME, name)
        except locale.Error:
            continue
        try:
            yield name
        finally:
            locale.setlocale(locale.LC_TIME, previous)
        return
    pytest.skip("no German, French or Spanish locale is installed")


def test_names_do_not_follow_the_locale(foreign_locale: str) -> None:
    assert date(2026, 3, 2).strftime("%a %b") != "Mon Mar", foreign_locale
    assert timefmt.day(date(2026, 3, 2)) == "Mon 2 Mar"


@pytest.mark.parametrize(
    ("a", "b", "today", "text"),
    [
        (date(2025, 12, 1), date(2025, 12, 5), None, "Mon 1 Dec – Fri 5 Dec"),
        (date(2026, 8, 31), date(2026, 9, 4), None, "Mon 31 Aug – Fri 4 Sep"),
        (date(2026, 12, 1), date(2026, 12, 1), None, "Tue 1 Dec"),
        (date(2026, 12, 28), date(2027, 1, 1), date(2026, 12, 24), "Mon 28 Dec – Fri 1 Jan 2027"),
        (
            date(2026, 12, 28),
            date(2027, 1, 1),
            date(2027, 1, 4),
            "Mon 28 Dec 2026 – Fri 1 Jan",
        ),
    ],
)
def test_day_range(a: date, b: date, today: date | None, text: str) -> None:
    assert timefmt.day_range(a, b, today=today) == text


def test_day_range_must_not_run_backwards() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        timefmt.day_range(date(2026, 12, 5), date(2026, 12, 1))


@pytest.mark.parametrize(
    ("when", "tz", "text"),
    [
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), LONDON, "17:00 GMT"),
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), LONDON, "17:00 BST"),
        (datetime(2026, 7, 1, 8, 5, tzinfo=UTC), LONDON, "09:05 BST"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), LONDON, "02:00 BST"),  # clocks go forward
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), LONDON, "01:30 BST"),  # 01:30 once...
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), LONDON, "01:30 GMT"),  # ...and again
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), NEW_YORK, "12:00 EDT"),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), UTC, "00:00 UTC"),
    ],
)
def test_time_of_day(when: datetime, tz: ZoneInfo, text: str) -> None:
    assert timefmt.time_of_day(when, tz) == text


@pytest.mark.parametrize(
    ("when", "tz", "today", "text"),
    [
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), LONDON, None, "Tue 1 Dec, 17:00 GMT"),
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), LONDON, None, "Wed 1 Jul, 17:00 BST"),
        # The local date, not the UTC one: 23:30 UTC on 30 Jun is 00:30 BST on 1 Jul.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), LONDON, None, "Wed 1 Jul, 00:30 BST"),
        (datetime(2026, 12, 1, 3, 0, tzinfo=UTC), NEW_YORK, None, "Mon 30 Nov, 22:00 EST"),
        (
            datetime(2027, 1, 4, 9, 0, tzinfo=UTC),
            LONDON,
            date(2026, 12, 24),
            "Mon 4 Jan 2027, 09:00 GMT",
        ),
        (
            datetime(2026, 3, 30, 8, 0, tzinfo=LONDON),
            LONDON,
            date(2026, 3, 27),
            "Mon 30 Mar, 08:00 BST",
        ),
    ],
)
def test_instant(when: datetime, tz: ZoneInfo, today: date | None, text: str) -> None:
    assert timefmt.instant(when, tz, today=today) == text


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        timefmt.instant(datetime(2026, 12, 1, 17), LONDON)
    with pytest.raises(ValueError, match="timezone-aware"):
        timefmt.time_of_day(datetime(2026, 12, 1, 17), LONDON)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0, "0 minutes"),
        (1 / 60, "1 minute"),
        (0.5 / 60, "1 minute"),  # halves round up
        (0.75, "45 minutes"),
        (59.4 / 60, "59 minutes"),
        (59.7 / 60, "1 working hour"),  # rounds to 60 minutes, so it is an hour
        (1, "1 working hour"),
        (1.2, "1 working hour"),
        (1.25, "1.5 working hours"),
        (2.5, "2.5 working hours"),
        (2.75, "3 working hours"),
        (3, "3 working hours"),
        (8, "8 working hours"),
        (8.2, "8 working hours"),
        (8.25, "1 working day"),  # rounds to 8.5 hours, which is a working day
        (8.5, "1 working day"),
        (10, "1 working day"),
        (10.625, "1.5 working days"),
        (12.75, "1.5 working days"),
        (17, "2 working days"),
        (42.5, "5 working days"),
        (425, "50 working days"),
    ],
)
def test_duration_working_hours(hours: float, text: str) -> None:
    assert timefmt.duration_working_hours(hours) == text


@pytest.mark.parametrize("hours", [-0.5, float("nan"), float("inf")])
def test_duration_rejects_impossible_amounts(hours: float) -> None:
    with pytest.raises(ValueError, match="a duration must be a finite number"):
        timefmt.duration_working_hours(hours)
