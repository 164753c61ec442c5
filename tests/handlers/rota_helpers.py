"""Helpers for the /rota end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.rota import SwapRequest
from bot.store.rota_swaps import pending_swaps
from tests.doors import MutableClock, SlackDoor, record_app_sql
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


def pending_swap(session: Session, *, requester: str, target: str) -> SwapRequest:
    """The one pending swap `requester` asked of `target`."""
    (found,) = [
        swap
        for swap in pending_swaps(session=session, user_id=requester)
        if (swap.requester, swap.target) == (requester, target)
    ]
    return found


def remember_a_swap_plan(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    """A rota of U1, U2 and U3, and two swaps: the first publishes the weeks to come, the
    second reads them and writes nothing, so its process remembers the plan."""
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    rota(slack, fake_slack, "swap <@U2>", user="U1")


def swap_from_the_remembered_plan(
    slack: SlackDoor, fake_slack: FakeSlack, engine: Engine
) -> list[str]:
    """After remember_a_swap_plan, U3 asks U1 for a swap: the SQL the app ran for it (see
    record_app_sql)."""
    statements: list[str] = []
    record_app_sql(engine, statements)
    reply = rota(slack, fake_slack, "swap <@U1>", user="U3")
    assert reply == (
        "I've asked <@U1> to take your week Mon 14 Dec – Fri 18 Dec for theirs, "
        "Mon 21 Dec – Fri 25 Dec. I'll tell you their answer."
    )
    return statements
