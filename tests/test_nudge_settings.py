"""The nudge thresholds: defaults, overrides, and one clear line for a bad value."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, parse_settings


def test_defaults_follow_the_design() -> None:
    settings = parse_settings({})
    assert (settings.review_after_days, settings.client_waiting_hours, settings.no_reply_days) == (
        7,
        4,
        2,
    )


def test_each_threshold_can_be_set() -> None:
    settings = parse_settings(
        {
            "ROTABOT_REVIEW_AFTER_DAYS": "14",
            "ROTABOT_CLIENT_WAITING_HOURS": " 2 ",
            "ROTABOT_NO_REPLY_DAYS": "3",
        }
    )
    assert (settings.review_after_days, settings.client_waiting_hours, settings.no_reply_days) == (
        14,
        2,
        3,
    )


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (
            "ROTABOT_REVIEW_AFTER_DAYS",
            "a week",
            "ROTABOT_REVIEW_AFTER_DAYS is how many days a reviewed priority stays reviewed: "
            "use a whole number, 1 or more, not 'a week'.",
        ),
        (
            "ROTABOT_CLIENT_WAITING_HOURS",
            "0",
            "ROTABOT_CLIENT_WAITING_HOURS is how many working hours a client may wait for our "
            "reply: use a whole number, 1 or more, not '0'.",
        ),
        (
            "ROTABOT_NO_REPLY_DAYS",
            "-1",
            "ROTABOT_NO_REPLY_DAYS is how many working days an open ticket may go without our "
            "public reply: use a whole number, 1 or more, not '-1'.",
        ),
    ],
)
def test_a_bad_threshold_is_one_clear_line(name: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({name: raw})
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)
