"""WorkCalendar against England's 2026–2027 calendar, bank holidays and clock changes.

Inputs are written in London wall time (``london``) and expectations in UTC (``utc``) so every
case also checks the conversion: 09:00 BST is 08:00 UTC, 09:00 GMT is 09:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.worktime import WorkCalendar

LONDON = ZoneInfo("Europe/London")
CAL = WorkCalendar()
# The office closes between Christmas and New Year, so the week of Mon 28 Dec 2026 has no
# working day: 28 Dec (Boxing Day observed) and 1 Jan are public holidays, the rest are extra.
CLOSED_AT_NEW_YEAR = WorkCalendar(
    extra_holidays=[date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
)


def weekdays(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def london(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


# Construction


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"timezone": "Mars/Olympus"},
            "unknown timezone 'Mars/Olympus' in ROTABOT_TIMEZONE; use an IANA name such as "
            "Europe/London or America/New_York",
        ),
        (
            {"timezone": "../etc/passwd"},
            "unknown timezone '../etc/passwd' in ROTABOT_TIMEZONE; use an IANA name such as "
            "Europe/London or America/New_York",
        ),
        (
            {"holidays": "XX"},
            "unknown country 'XX' in ROTABOT_HOLIDAYS; use an ISO code such as GB-ENG or US-CA",
        ),
        (
            {"holidays": ""},
            "unknown country '' in ROTABOT_HOLIDAYS; use an ISO code such as GB-ENG or US-CA",
        ),
        (
            {"holidays": "GB-XYZ"},
            "unknown subdivision 'XYZ' of GB in ROTABOT_HOLIDAYS; use one of ENG, NIR, SCT, WLS",
        ),
        (
            {"day_start": time(17, 30), "day_end": time(9, 0)},
            "the working day must start before it ends, not 17:30–09:00",
        ),
    ],
)
def test_invalid_settings_raise_one_clear_sentence(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        WorkCalendar(**kwargs)
    assert str(raised.value) == message


def test_long_subdivision_lists_are_cut_short() -> None:
    with pytest.raises(ValueError, match=r"of US in ROTABOT_HOLIDAYS; use one of AK, .* more$"):
        WorkCalendar(holidays="US-ZZ")


@pytest.mark.parametrize(
    ("spec", "holiday", "name"),
    [
        ("gb-eng", date(2026, 8, 31), "Late Summer Bank Holiday"),
        ("GB-SCT", date(2026, 8, 3), "Summer Bank Holiday"),
        ("US-CA", date(2026, 11, 26), "Thanksgiving Day"),
        # Names are English even where the country's own language is not.
        ("DE", date(2026, 10, 3), "German Unity Day"),
    ],
)
def test_holiday_specs_are_country_and_optional_subdivision(
    spec: str, holiday: date, name: str
) -> None:
    assert WorkCalendar(holidays=spec).holiday_name(holiday) == name


def test_tz_is_the_zone() -> None:
    assert CAL.tz == LONDON
    assert WorkCalendar(timezone="America/New_York").tz.key == "America/New_York"


# Local dates and wall times


@pytest.mark.parametrize(
    ("instant", "local", "today"),
    [
        (utc(2026, 1, 15, 12), london(2026, 1, 15, 12), date(2026, 1, 15)),
        (utc(2026, 6, 30, 23, 30), london(2026, 7, 1, 0, 30), date(2026, 7, 1)),
        (utc(2026, 10, 25, 0, 30), london(2026, 10, 25, 1, 30), date(2026, 10, 25)),
    ],
)
def test_local_and_today(instant: datetime, local: datetime, today: date) -> None:
    converted = CAL.local(instant)
    assert converted == local
    assert converted.tzinfo is LONDON
    assert converted.replace(tzinfo=None) == local.replace(tzinfo=None)
    assert CAL.today(instant) == today


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: CAL.local(naive),
        lambda naive: CAL.today(naive),
        lambda naive: CAL.is_working_time(naive),
        lambda naive: CAL.next_working_time(naive),
        lambda naive: CAL.add_working_hours(naive, 1),
        lambda naive: CAL.working_hours_between(naive, naive),
        lambda naive: CAL.week_of(naive),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 12, 1, 12))


@pytest.mark.parametrize(
    ("d", "t", "expected"),
    [
        (date(2026, 12, 1), time(9, 0), utc(2026, 12, 1, 9)),
        (date(2026, 7, 1), time(9, 0), utc(2026, 7, 1, 8)),
        # Spring gap: 01:30 never happens; read with GMT it is 02:30 BST.
        (date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30)),
        # Autumn overlap: 01:30 happens twice; the first (BST) unless fold=1 asks for the second.
        (date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        (date(2026, 10, 25), time(1, 30, fold=1), utc(2026, 10, 25, 1, 30)),
    ],
)
def test_at_converts_wall_time_to_utc(d: date, t: time, expected: datetime) -> None:
    result = CAL.at(d, t)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("d", "start", "end", "due"),
    [
        (date(2026, 12, 1), time(9, 0), time(17, 30), time(17, 0)),  # GMT
        (date(2026, 7, 1), time(8, 0), time(16, 30), time(16, 0)),  # BST
        (date(2026, 3, 27), time(9, 0), time(17, 30), time(17, 0)),  # Friday before spring
        (date(2026, 3, 30), time(8, 0), time(16, 30), time(16, 0)),  # Monday after
        (date(2026, 10, 23), time(8, 0), time(16, 30), time(16, 0)),  # Friday before autumn
        (date(2026, 10, 26), time(9, 0), time(17, 30), time(17, 0)),  # Monday after
    ],
)
def test_times_of_the_working_day_in_utc(d: date, start: time, end: time, due: time) -> None:
    assert CAL.start_of_working_day(d) == datetime.combine(d, start, UTC)
    assert CAL.end_of_working_hours(d) == datetime.combine(d, end, UTC)
    assert CAL.due_end_of_day(d) == datetime.combine(d, due, UTC)


def test_other_zones_follow_their_own_clock_changes() -> None:
    new_york = WorkCalendar(timezone="America/New_York", holidays="US-NY")
    # US clocks go back on Sun 1 Nov 2026, a week after the UK's.
    assert new_york.start_of_working_day(date(2026, 10, 30)) == utc(2026, 10, 30, 13)
    assert new_york.start_of_working_day(date(2026, 11, 2)) == utc(2026, 11, 2, 14)
    assert new_york.next_working_day(date(2026, 11, 25)) == date(2026, 11, 27)


# Days


@pytest.mark.parametrize(
    ("d", "name"),
    [
        (date(2026, 8, 31), "Late Summer Bank Holiday"),
        (date(2027, 3, 26), "Good Friday"),
        (date(2027, 3, 29), "Easter Monday"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2026, 9, 1), None),
        (date(2026, 12, 27), None),
    ],
)
def test_holiday_name(d: date, name: str | None) -> None:
    assert CAL.holiday_name(d) == name
    assert CAL.is_holiday(d) is (name is not None)


def test_extra_holidays_are_named_but_public_names_win() -> None:
    assert CLOSED_AT_NEW_YEAR.holiday_name(date(2026, 12, 29)) == "Team holiday"
    assert CLOSED_AT_NEW_YEAR.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert CAL.holiday_name(date(2026, 12, 29)) is None


@pytest.mark.parametrize(
    ("d", "working"),
    [
        (date(2026, 8, 28), True),  # Friday
        (date(2026, 8, 29), False),  # Saturday
        (date(2026, 8, 30), False),  # Sunday
        (date(2026, 8, 31), False),  # Summer bank holiday
        (date(2026, 9, 1), True),  # Tuesday
        (date(2026, 12, 28), False),  # Boxing Day observed
    ],
)
def test_is_working_day(d: date, working: bool) -> None:
    assert CAL.is_working_day(d) is working


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 26), date(2026, 11, 27)),  # Thu → Fri
        (date(2026, 11, 27), date(2026, 11, 30)),  # "tomorrow" on a Friday is Monday
        (date(2026, 11, 28), date(2026, 11, 30)),  # Sat → Mon
        (date(2026, 8, 28), date(2026, 9, 1)),  # Fri → Tue after the bank holiday
        (date(2026, 8, 31), date(2026, 9, 1)),  # from the bank holiday itself
        (date(2026, 12, 24), date(2026, 12, 29)),  # over Christmas and Boxing Day observed
        (date(2027, 3, 25), date(2027, 3, 30)),  # over Good Friday and Easter Monday
    ],
)
def test_next_working_day(d: date, expected: date) -> None:
    assert CAL.next_working_day(d) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 27), date(2026, 11, 27)),
        (date(2026, 11, 28), date(2026, 11, 30)),
        (date(2026, 8, 31), date(2026, 9, 1)),
    ],
)
def test_working_day_on_or_after(d: date, expected: date) -> None:
    assert CAL.working_day_on_or_after(d) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 27), date(2026, 11, 26)),
        (date(2026, 11, 30), date(2026, 11, 27)),
        (date(2026, 9, 1), date(2026, 8, 28)),
        (date(2026, 12, 29), date(2026, 12, 24)),
        (date(2027, 3, 30), date(2027, 3, 25)),
    ],
)
def test_previous_working_day(d: date, expected: date) -> None:
    assert CAL.previous_working_day(d) == expected


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2026, 8, 28), 0, date(2026, 8, 28)),
        (date(2026, 8, 29), 0, date(2026, 8, 29)),
        (date(2026, 8, 28), 1, date(2026, 9, 1)),
        (date(2026, 8, 28), 2, date(2026, 9, 2)),
        (date(2026, 8, 29), 1, date(2026, 9, 1)),
        (date(2026, 12, 24), 3, date(2026, 12, 31)),
        (date(2026, 9, 2), -3, date(2026, 8, 27)),
        (date(2026, 11, 30), 10, date(2026, 12, 14)),
    ],
)
def test_add_working_days(d: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(d, n) == expected


# Working time


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        (london(2026, 11, 30, 8, 59), False),  # Monday 08:59
        (london(2026, 11, 30, 9, 0), True),
        (london(2026, 11, 27, 17, 29), True),
        (london(2026, 11, 27, 17, 30), False),  # the end is not working time
        (london(2026, 11, 27, 19, 0), False),  # Friday evening
        (london(2026, 11, 28, 12, 0), False),  # Saturday
        (london(2026, 8, 31, 12, 0), False),  # bank holiday Monday
        (utc(2026, 7, 1, 8, 0), True),  # 09:00 BST
        (utc(2026, 7, 1, 7, 59), False),
        (utc(2026, 7, 1, 16, 30), False),  # 17:30 BST
    ],
)
def test_is_working_time(instant: datetime, working: bool) -> None:
    assert CAL.is_working_time(instant) is working


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (london(2026, 11, 30, 8, 59), utc(2026, 11, 30, 9)),  # Monday 08:59
        (london(2026, 11, 30, 11, 15), utc(2026, 11, 30, 11, 15)),  # already working time
        (london(2026, 11, 27, 17, 30), utc(2026, 11, 30, 9)),  # Friday at closing time
        (london(2026, 11, 27, 19, 0), utc(2026, 11, 30, 9)),  # Friday evening
        (london(2026, 11, 28, 12, 0), utc(2026, 11, 30, 9)),  # Saturday
        (london(2026, 8, 28, 18, 0), utc(2026, 9, 1, 8)),  # Friday before the bank holiday
        (london(2026, 3, 28, 12, 0), utc(2026, 3, 30, 8)),  # Saturday before clocks go forward
        (london(2026, 10, 24, 12, 0), utc(2026, 10, 26, 9)),  # Saturday before they go back
        (london(2026, 12, 24, 18, 0), utc(2026, 12, 29, 9)),  # Christmas Eve evening
    ],
)
def test_next_working_time(instant: datetime, expected: datetime) -> None:
    result = CAL.next_working_time(instant)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Within one day, and ending exactly at closing time rather than the next morning.
        (london(2026, 11, 30, 9, 0), 0.25, utc(2026, 11, 30, 9, 15)),
        (london(2026, 11, 27, 16, 30), 1, utc(2026, 11, 27, 17, 30)),
        (london(2026, 11, 30, 9, 0), 8.5, utc(2026, 11, 30, 17, 30)),
        (london(2026, 11, 30, 9, 0), 8.75, utc(2026, 12, 1, 9, 15)),
        (london(2026, 11, 30, 9, 0), 42.5, utc(2026, 12, 4, 17, 30)),
        # Starting outside working time counts from the next working time.
        (london(2026, 11, 30, 8, 59), 1, utc(2026, 11, 30, 10)),
        (london(2026, 11, 27, 19, 0), 0, utc(2026, 11, 30, 9)),
        (london(2026, 11, 28, 12, 0), 3, utc(2026, 11, 30, 12)),
        # Over a weekend: Fri 16:30 + 2h = Mon 10:00.
        (london(2026, 11, 27, 16, 30), 2, utc(2026, 11, 30, 10)),
        # Over the Summer bank holiday: Tue 10:00 BST.
        (london(2026, 8, 28, 16, 30), 2, utc(2026, 9, 1, 9)),
        # Over Christmas: Fri 25 and Mon 28 Dec are holidays.
        (london(2026, 12, 24, 16, 30), 2, utc(2026, 12, 29, 10)),
        # Clocks go forward on Sun 29 Mar 2026: Mon 10:00 BST.
        (london(2026, 3, 27, 16, 30), 2, utc(2026, 3, 30, 9)),
        # Clocks go back on Sun 25 Oct 2026: Mon 10:00 GMT.
        (london(2026, 10, 23, 16, 30), 2, utc(2026, 10, 26, 10)),
        # Easter 2027 wraps the clock change in Good Friday and Easter Monday.
        (london(2027, 3, 25, 16, 30), 2, utc(2027, 3, 30, 9)),
        # Clocks go back on Sun 31 Oct 2027.
        (london(2027, 10, 29, 16, 30), 2, utc(2027, 11, 1, 10)),
        # Any aware zone in: 14:30 UTC on a summer Friday is 15:30 BST.
        (utc(2026, 7, 3, 14, 30), 4, utc(2026, 7, 6, 10)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    result = CAL.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_add_working_hours_rejects_impossible_amounts(hours: float) -> None:
    with pytest.raises(ValueError, match="working hours must be a finite number"):
        CAL.add_working_hours(utc(2026, 12, 1, 10), hours)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (london(2026, 11, 27, 16, 30), london(2026, 11, 30, 10, 0), 2.0),
        (london(2026, 11, 30, 10, 0), london(2026, 11, 27, 16, 30), 0.0),  # end before start
        (london(2026, 11, 30, 10, 0), london(2026, 11, 30, 10, 0), 0.0),
        (london(2026, 11, 28, 0, 0), london(2026, 11, 30, 0, 0), 0.0),  # a weekend
        (london(2026, 11, 30, 8, 0), london(2026, 11, 30, 20, 0), 8.5),
        (london(2026, 11, 30, 0, 0), london(2026, 12, 7, 0, 0), 42.5),  # a whole week
        (london(2026, 8, 31, 0, 0), london(2026, 9, 7, 0, 0), 34.0),  # with a bank holiday
        (london(2026, 12, 24, 12, 0), london(2026, 12, 29, 12, 0), 8.5),  # over Christmas
        (london(2026, 3, 27, 9, 0), london(2026, 3, 30, 17, 30), 17.0),  # clocks forward
        (london(2026, 10, 23, 17, 0), london(2026, 10, 26, 9, 30), 1.0),  # clocks back
        (utc(2026, 7, 1, 8, 0), utc(2026, 7, 1, 16, 30), 8.5),  # 09:00–17:30 BST
    ],
)
def test_working_hours_between(start: datetime, end: datetime, hours: float) -> None:
    assert CAL.working_hours_between(start, end) == hours


# Rota weeks


@pytest.mark.parametrize(
    ("d", "monday"),
    [
        (date(2026, 3, 23), date(2026, 3, 23)),
        (date(2026, 3, 27), date(2026, 3, 23)),
        (date(2026, 3, 29), date(2026, 3, 23)),  # Sunday belongs to the week before
        (date(2027, 1, 1), date(2026, 12, 28)),  # weeks run across the new year
    ],
)
def test_week_start(d: date, monday: date) -> None:
    assert CAL.week_start(d) == monday


@pytest.mark.parametrize(
    ("instant", "monday"),
    [
        (utc(2026, 3, 29, 22, 59), date(2026, 3, 23)),  # Sun 23:59 BST
        (utc(2026, 3, 29, 23, 0), date(2026, 3, 30)),  # Mon 00:00 BST, though Sunday in UTC
        (utc(2026, 10, 25, 23, 30), date(2026, 10, 19)),  # Sun 23:30 GMT
        (london(2026, 12, 30, 12, 0), date(2026, 12, 28)),
    ],
)
def test_week_of(instant: datetime, monday: date) -> None:
    assert CAL.week_of(instant) == monday


@pytest.mark.parametrize(
    ("calendar", "monday", "days"),
    [
        (CAL, date(2026, 11, 30), weekdays(date(2026, 11, 30), 5)),
        (CAL, date(2026, 8, 31), weekdays(date(2026, 9, 1), 4)),  # Summer bank holiday
        (CAL, date(2026, 12, 21), weekdays(date(2026, 12, 21), 4)),  # Christmas Day
        (CAL, date(2026, 12, 28), weekdays(date(2026, 12, 29), 3)),  # Boxing Day, New Year
        (CAL, date(2027, 3, 22), weekdays(date(2027, 3, 22), 4)),  # Good Friday
        (CLOSED_AT_NEW_YEAR, date(2026, 12, 28), []),
    ],
)
def test_working_days_of_week(calendar: WorkCalendar, monday: date, days: list[date]) -> None:
    assert calendar.working_days_of_week(monday) == days
    assert calendar.working_days_of_week(monday + timedelta(days=2)) == days  # any day will do
    assert calendar.first_working_day_of_week(monday) == (days[0] if days else None)
    assert calendar.last_working_day_of_week(monday) == (days[-1] if days else None)


def test_a_week_of_holidays_still_exists_and_is_skipped_by_working_days() -> None:
    cal = CLOSED_AT_NEW_YEAR
    assert cal.week_of(london(2026, 12, 30, 12, 0)) == date(2026, 12, 28)
    assert cal.first_working_day_of_week(date(2026, 12, 28)) is None
    assert cal.last_working_day_of_week(date(2026, 12, 28)) is None
    assert cal.next_working_day(date(2026, 12, 24)) == date(2027, 1, 4)
    assert cal.previous_working_day(date(2027, 1, 4)) == date(2026, 12, 24)
    assert cal.add_working_hours(london(2026, 12, 24, 16, 30), 2) == utc(2027, 1, 4, 10)
    assert cal.working_hours_between(london(2026, 12, 24, 17, 0), london(2027, 1, 4, 9, 30)) == 1


# Properties

NEW_YORK = ZoneInfo("America/New_York")
ZONES = st.sampled_from([UTC, LONDON, NEW_YORK, ZoneInfo("Asia/Kolkata")])
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=ZONES
)


@settings(max_examples=300, deadline=None, database=None)
@given(start=INSTANTS, hours=st.floats(min_value=0, max_value=120))
def test_added_working_hours_are_all_working_time(start: datetime, hours: float) -> None:
    result = CAL.add_working_hours(start, hours)
    day = CAL.today(result)
    assert result >= start
    assert CAL.is_working_time(result) or result == CAL.end_of_working_hours(day)
    assert CAL.working_hours_between(start, result) == pytest.approx(hours, abs=1e-6)


@settings(max_examples=300, deadline=None, database=None)
# Settings give whole or fractional hours; quarter hours stand for them all.
@given(end=INSTANTS, hours=st.integers(0, 240).map(lambda q: q / 4), back=st.floats(0, 400))
# 01:00 on 30 March 2025 does not exist in London; with fold=1 it reads as 00:00 UTC, but
# `end - timedelta(0)` is 01:00 with fold=0, i.e. 01:00 UTC: an hour after `end`.
@example(end=datetime(2025, 3, 30, 1, 0, fold=1, tzinfo=LONDON), hours=0.0, back=0.0)
# The same in New York with fold=0 (07:00 UTC): the instant `back` hours before it reads
# 03:00 EDT, a wall time after `end`'s, so the two must not be compared as wall times.
@example(end=datetime(2025, 3, 9, 2, 0, tzinfo=NEW_YORK), hours=0.0, back=0.0)
def test_latest_start_for_is_exactly_the_threshold(
    end: datetime, hours: float, back: float
) -> None:
    cutoff = CAL.latest_start_for(end, hours)
    assert cutoff <= end
    assert CAL.working_hours_between(cutoff, end) == pytest.approx(hours, abs=1e-6)
    # Any instant is at or before the cutoff exactly when that much working time has passed.
    # `back` real hours before `end`: arithmetic on an aware datetime moves its wall clock
    # (and drops its fold), which across a clock change is not that many hours.
    other = (end.astimezone(UTC) - timedelta(hours=back)).astimezone(end.tzinfo)
    enough = CAL.working_hours_between(other, end) >= hours
    assert enough == (other <= cutoff) or abs(other - cutoff) < timedelta(microseconds=2)
    # The cutoff is the latest such instant.
    if hours:
        assert CAL.working_hours_between(cutoff + timedelta(microseconds=1), end) < hours


@pytest.mark.parametrize(
    ("end", "hours", "expected"),
    [
        # Back over a weekend: Monday 10:00 less 4 hours is Friday 14:30.
        (london(2026, 11, 30, 10, 0), 4, london(2026, 11, 27, 14, 30)),
        # An exact start of day: the latest instant is that start, not the evening before.
        (london(2026, 11, 30, 10, 0), 1, london(2026, 11, 30, 9, 0)),
        # Back over a bank-holiday Monday (25 May 2026) to the Friday.
        (london(2026, 5, 26, 9, 30), 1, london(2026, 5, 22, 17, 0)),
        # Over the spring clock change (29 March 2026): working hours are wall-clock hours.
        (london(2026, 3, 30, 9, 0), 8.5, london(2026, 3, 27, 9, 0)),
        # After hours, counting starts at the close.
        (london(2026, 11, 27, 22, 0), 2, london(2026, 11, 27, 15, 30)),
        (london(2026, 11, 27, 22, 0), 0, london(2026, 11, 27, 22, 0)),
    ],
)
def test_latest_start_for(end: datetime, hours: float, expected: datetime) -> None:
    assert CAL.latest_start_for(end, hours) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    days=st.integers(-3, 800),
)
def test_working_days_in_counts_each_working_day(first: date, days: int) -> None:
    end = first + timedelta(days=days)
    naive = sum(
        1
        for offset in range(max(days, 0))
        if CLOSED_AT_NEW_YEAR.is_working_day(first + timedelta(days=offset))
    )
    assert CLOSED_AT_NEW_YEAR.working_days_in(first, end) == naive
