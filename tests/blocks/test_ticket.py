"""The /ticket card's Block Kit, as exact text on fixed instants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import ids
from bot.blocks.models import TicketCard
from bot.blocks.text import blocks_as_text
from bot.blocks.ticket import (
    parse_priority_option,
    priority_actions,
    ticket_card_blocks,
)
from bot.store.priority_reviews import PriorityReview
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar(timezone="Europe/London", holidays="GB-ENG")
MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Wednesday 2 December 2026, 10:00 GMT.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def card(**changes: object) -> TicketCard:
    ticket = Ticket(
        id=101,
        subject="Export <fails> & times out",
        status="open",
        priority="high",
        created_at=MON,
        updated_at=MON,
        last_requester_comment_at=MON + timedelta(days=1, hours=2),
        last_agent_public_reply_at=MON + timedelta(hours=2),
    )
    base = TicketCard(
        ticket=ticket,
        url="https://acme.zendesk.com/agent/tickets/101",
        client="Acme & Co",
        requester="Carol Client",
        assignee="Alice Agent",
        assignee_slack_id="UALICE",
        last_reply_by="Alice Agent",
        review=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_whole_card() -> None:
    assert blocks_as_text(ticket_card_blocks(card(), CALENDAR, now=NOW)) == (
        "*<https://acme.zendesk.com/agent/tickets/101|#101 Export &lt;fails&gt; &amp; times out>*\n"
        "*Client*\nAcme &amp; Co  *Requester*\nCarol Client  *Status*\nOpen  *Priority*\nHigh  "
        "*Assignee*\n<@UALICE>  *Age*\n2 working days (opened Mon 30 Nov)\n"
        "Last client comment: Tue 1 Dec, 11:00 GMT\n"
        "Our last public reply: Mon 30 Nov, 11:00 GMT by Alice Agent\n"
        ":hourglass: client waiting 7.5 working hours\n"
        "[Priority is right]  [Change priority ▾]  [Promise an update]  "
        "[Escalate to delivery lead]  [I'm on it]  [Ask for help…]"
    )


def test_a_new_ticket_with_no_one_assigned_and_no_priority() -> None:
    fresh = card(assignee=None, assignee_slack_id=None, client=None, last_reply_by=None)
    fresh.ticket.priority = None
    fresh.ticket.last_agent_public_reply_at = None
    fresh.ticket.last_requester_comment_at = None
    text = blocks_as_text(ticket_card_blocks(fresh, CALENDAR, now=NOW))
    assert "*Client*\n—" in text
    assert "*Priority*\nnot set" in text
    assert "*Assignee*\nunassigned" in text
    assert "Our last public reply: none yet" in text
    assert "waiting" not in text


def test_an_assignee_without_slack_is_named() -> None:
    text = blocks_as_text(ticket_card_blocks(card(assignee_slack_id=None), CALENDAR, now=NOW))
    assert "*Assignee*\nAlice Agent" in text


def test_when_we_replied_last_it_says_how_long_ago() -> None:
    answered = card()
    answered.ticket.last_agent_public_reply_at = NOW - timedelta(hours=3)
    text = blocks_as_text(ticket_card_blocks(answered, CALENDAR, now=NOW))
    assert (
        "Our last public reply: Wed 2 Dec, 07:00 GMT by Alice Agent\nWe replied 1 working hour ago"
        in text
    )


def test_a_review_and_a_notice() -> None:
    review = PriorityReview(
        ticket_id=101, reviewed_by="U1", reviewed_at=NOW, source="card", priority_set=None
    )
    blocks = ticket_card_blocks(card(review=review), CALENDAR, now=NOW, notice=":warning: oops")
    text = blocks_as_text(blocks)
    assert text.startswith(":warning: oops\n")
    assert "Priority reviewed by <@U1> at Wed 2 Dec, 10:00 GMT" in text
    review.priority_set = "urgent"
    text = blocks_as_text(ticket_card_blocks(card(review=review), CALENDAR, now=NOW))
    assert "Priority set to Urgent by <@U1> at Wed 2 Dec, 10:00 GMT" in text


def test_the_buttons_carry_the_ticket_id() -> None:
    actions = priority_actions(101)
    button, select, promise, escalate, on_it, ask_help = actions["elements"]
    assert (escalate["action_id"], escalate["value"]) == (ids.ESCALATE, "101")
    assert (on_it["action_id"], on_it["value"]) == (ids.TIMEBOX_START, "101")
    assert (ask_help["action_id"], ask_help["value"]) == (ids.HELP_OPEN, "101")
    assert (promise["action_id"], promise["value"]) == (ids.PROMISE_OPEN_MODAL, "101")
    assert (button["action_id"], button["value"]) == (ids.TICKET_PRIORITY_RIGHT, "101")
    assert select["action_id"] == ids.TICKET_PRIORITY_SET
    assert [o["value"] for o in select["options"]] == [
        "101:urgent",
        "101:high",
        "101:normal",
        "101:low",
    ]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("101:high", (101, "high")),
        ("101:nope", None),
        ("abc:high", None),
        ("", None),
    ],
)
def test_parse_priority_option(value: str, parsed: tuple[int, str] | None) -> None:
    assert parse_priority_option(value) == parsed


def test_a_long_subject_is_clipped() -> None:
    long = card()
    long.ticket.subject = "x" * 500
    title = blocks_as_text(ticket_card_blocks(long, CALENDAR, now=NOW)).splitlines()[0]
    assert title == f"*<https://acme.zendesk.com/agent/tickets/101|#101 {'x' * 199}…>*"
