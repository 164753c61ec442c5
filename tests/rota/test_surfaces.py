"""The pure rules behind the user group and topic: whose day it is, and the topic's text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from bot.rota.surfaces import TOPIC_MOST, support_day, topic_line, topic_with
from bot.worktime import WorkCalendar

LONDON = ZoneInfo("Europe/London")
CALENDAR = WorkCalendar()


def at(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=LONDON).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (at(2026, 12, 7, 8, 59), date(2026, 12, 4)),  # Monday before nine: Friday's person
        (at(2026, 12, 7, 9, 0), date(2026, 12, 7)),
        (at(2026, 12, 5, 12, 0), date(2026, 12, 4)),  # Saturday
        (at(2026, 12, 28, 12, 0), date(2026, 12, 24)),  # Boxing Day (observed), after Christmas
        (at(2026, 12, 29, 9, 0), date(2026, 12, 29)),
        # Easter 2027, after the clocks went forward: Good Friday and Easter Monday off.
        (at(2027, 3, 29, 9, 0), date(2027, 3, 25)),
        (at(2027, 3, 30, 8, 59), date(2027, 3, 25)),
        (at(2027, 3, 30, 9, 0), date(2027, 3, 30)),
    ],
)
def test_support_day(now: datetime, day: date) -> None:
    assert support_day(CALENDAR, now) == day


def test_support_day_with_the_wall_clock_frozen_at_nine() -> None:
    with freeze_time("2026-12-07 09:00:00"):  # 09:00 GMT is 09:00 in London in December
        assert support_day(CALENDAR, datetime.now(UTC)) == date(2026, 12, 7)


def test_topic_line_keeps_the_rest_of_the_topic_in_place() -> None:
    line = topic_line("bob", date(2026, 12, 11), today=date(2026, 12, 7))
    assert line == "On support: @bob until Fri 11 Dec"
    assert topic_with("", line) == line
    assert topic_with("Deploys on Thursdays", line) == f"Deploys on Thursdays\n{line}"
    old = "Freeze\nOn support: @ann until Fri 4 Dec\nbe kind"
    assert topic_with(old, line) == f"Freeze\n{line}\nbe kind"
    assert topic_with(old, None) == "Freeze\nbe kind"
    assert topic_with(f"Freeze\n{line}", line) == f"Freeze\n{line}"


def test_a_long_topic_is_shortened_to_slacks_limit_never_our_line() -> None:
    line = "On support: @bob until Fri 11 Dec"
    merged = topic_with("x" * 400, line)
    assert len(merged) == TOPIC_MOST
    assert merged.endswith(f"…\n{line}")
