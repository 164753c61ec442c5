"""Helpers for the /rota end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack, SlackCall

LONDON = ZoneInfo("Europe/London")


def at_london(clock: MutableClock, *args: int) -> None:
    """Set the app's clock to a London wall time."""
    clock.set(datetime(*args, tzinfo=LONDON).astimezone(UTC))


def rota(
    slack: SlackDoor, fake_slack: FakeSlack, text: str, *, user: str = "U1", channel: str = "C1"
) -> str:
    """Run `/rota text` in the channel (C1) and return the flattened ephemeral reply."""
    before = len(fake_slack.responses)
    slack.command("/rota", text, user=user, channel=channel)
    replies = fake_slack.responses[before:]
    assert len(replies) == 1, f"expected one reply, got {replies!r}"
    assert replies[0].body.get("response_type") == "ephemeral"
    return FakeSlack.texts(replies[0])


def dms_to(fake_slack: FakeSlack, user: str) -> list[SlackCall]:
    return fake_slack.messages_to(user)
