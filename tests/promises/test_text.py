"""Reading promise times typed by people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.promises.text import WhenError, parse_when, split_when
from bot.worktime import WorkCalendar

CAL = WorkCalendar()
# Tuesday 1 December 2026, 10:00 GMT.
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# Friday 4 December 2026, 16:00 GMT.
FRIDAY = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
# Friday 28 August 2026, 15:00 BST, before the Summer bank holiday (Mon 31 Aug).
BEFORE_BANK_HOLIDAY = datetime(2026, 8, 28, 14, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "typed", "due"),
    [
        (TUESDAY, "tomorrow", utc(2026, 12, 2, 17, 0)),
        (FRIDAY, "tomorrow", utc(2026, 12, 7, 17, 0)),
        (BEFORE_BANK_HOLIDAY, "tomorrow", utc(2026, 9, 1, 16, 0)),
        (TUESDAY, "end of day", utc(2026, 12, 1, 17, 0)),
        (TUESDAY, "EOD", utc(2026, 12, 1, 17, 0)),
        (TUESDAY, "fri 3pm", utc(2026, 12, 4, 15, 0)),
        (FRIDAY, "fri 3pm", utc(2026, 12, 11, 15, 0)),
        (TUESDAY, "in 2 hours", utc(2026, 12, 1, 12, 0)),
        (TUESDAY, "Monday", utc(2026, 12, 7, 17, 0)),
        (TUESDAY, "next monday", utc(2026, 12, 7, 17, 0)),
        (TUESDAY, "21 Dec 10:00", utc(2026, 12, 21, 10, 0)),
        (TUESDAY, "21 Dec", utc(2026, 12, 21, 17, 0)),
        (TUESDAY, "2026-12-21", utc(2026, 12, 21, 17, 0)),
        (TUESDAY, "25 Dec", utc(2026, 12, 29, 17, 0)),  # Christmas: the next working day
        (TUESDAY, "3pm", utc(2026, 12, 1, 15, 0)),
        (FRIDAY, "3pm", utc(2026, 12, 7, 15, 0)),  # passed today: Monday's 3pm
        (TUESDAY, "tomorrow 11am", utc(2026, 12, 2, 11, 0)),
        (TUESDAY, "tomorrow morning", utc(2026, 12, 2, 12, 0)),
        (TUESDAY, "this afternoon", utc(2026, 12, 1, 17, 0)),
        (TUESDAY, "5 Jan", utc(2027, 1, 5, 17, 0)),
        (TUESDAY, "end of the week", utc(2026, 12, 4, 17, 0)),
        (TUESDAY, "next week", utc(2026, 12, 7, 17, 0)),
        (TUESDAY, "in 2 days", utc(2026, 12, 3, 17, 0)),
        (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), "monday 10am", utc(2026, 3, 30, 9, 0)),
        (datetime(2026, 10, 23, 12, 0, tzinfo=UTC), "monday 10am", utc(2026, 10, 26, 10, 0)),
    ],
)
def test_typed_times(now: datetime, typed: str, due: datetime) -> None:
    assert parse_when(typed, now=now, calendar=CAL) == due


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Say when the update is due"),
        ("whenever", "I couldn't read “whenever” as a time. Try `tomorrow`"),
        ("1 Dec 09:00", "has already passed"),
        ("today 9am", "has already passed"),
    ],
)
def test_unusable_times_explain_with_examples(typed: str, message: str) -> None:
    with pytest.raises(WhenError, match=message) as raised:
        parse_when(typed, now=TUESDAY, calendar=CAL)
    assert "fri 3pm" in str(raised.value)


def test_split_when_takes_the_longest_leading_time() -> None:
    assert split_when("fri 3pm check logs", now=TUESDAY, calendar=CAL) == (
        utc(2026, 12, 4, 15, 0),
        "check logs",
    )
    assert split_when("tomorrow", now=TUESDAY, calendar=CAL) == (utc(2026, 12, 2, 17, 0), "")
    with pytest.raises(WhenError, match="couldn't find a time"):
        split_when("check the logs", now=TUESDAY, calendar=CAL)


@pytest.mark.parametrize("typed", ["29 feb", "30 feb", "in 99999 days", "in 100000 hours"])
def test_impossible_or_absurd_times_are_explained_not_crashed(typed: str) -> None:
    with pytest.raises(WhenError, match="I couldn't read"):
        parse_when(typed, now=TUESDAY, calendar=CAL)


def test_29_february_in_a_leap_year_is_fine() -> None:
    leap_january = datetime(2028, 1, 10, 10, 0, tzinfo=UTC)
    assert parse_when("29 feb", now=leap_january, calendar=CAL) == datetime(
        2028, 2, 29, 17, 0, tzinfo=UTC
    )
