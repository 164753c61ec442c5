"""The `/ticket` card: pure functions from the mirrored ticket to Block Kit."""

from __future__ import annotations

from datetime import datetime

from bot import ids, timefmt
from bot.blocks.escalation import escalate_button
from bot.blocks.flags import flags_block
from bot.blocks.help import ask_help_button
from bot.blocks.kit import Block, context, escape, section
from bot.blocks.models import TicketCard
from bot.blocks.promises import promise_button, promise_line
from bot.blocks.timeboxes import on_it_button
from bot.priorities import PRIORITIES
from bot.store.priority_reviews import ZENDESK_REVIEWER, PriorityReview
from bot.worktime import WorkCalendar

USAGE = (
    "Usage: `/ticket ID` shows a Zendesk ticket's card, e.g. `/ticket 1234` or `/ticket #1234`; "
    "`/ticket promise ID WHEN [NOTE]` records an update you promised, e.g. "
    "`/ticket promise 1234 fri 3pm check the logs`."
)
STATUS_NAMES = {
    "new": "New",
    "open": "Open",
    "pending": "Pending",
    "hold": "On hold",
    "solved": "Solved",
    "closed": "Closed",
    "deleted": "Deleted",
}
PRIORITY_NAMES = {priority: priority.capitalize() for priority in PRIORITIES}
# Keeps the card's title readable and well inside Slack's 3000-character section limit.
SUBJECT_LIMIT = 200


def usage_text(problem: str | None) -> str:
    return USAGE if problem is None else f"{problem}\n{USAGE}"


def not_a_ticket_id(raw: str) -> str:
    return usage_text(f"`{raw}` is not a ticket number.")


def not_found_text(ticket_id: int) -> str:
    return f"I can't find ticket #{ticket_id} in Zendesk."


def zendesk_failure_text(sentence: str) -> str:
    return f":warning: I couldn't read the ticket: {sentence}."


def change_refused_text(sentence: str) -> str:
    return f":warning: {sentence}. Nothing was recorded."


def priority_option_value(ticket_id: int, priority: str) -> str:
    return f"{ticket_id}:{priority}"


def parse_priority_option(value: str) -> tuple[int, str] | None:
    ticket, _, priority = value.partition(":")
    if not ticket.isdigit() or priority not in PRIORITIES:
        return None
    return int(ticket), priority


def review_line(review: PriorityReview, calendar: WorkCalendar, *, now: datetime) -> str:
    when = timefmt.instant(review.reviewed_at, calendar.tz, today=calendar.today(now))
    by = "in Zendesk" if review.reviewed_by == ZENDESK_REVIEWER else f"by <@{review.reviewed_by}>"
    if review.priority_set is not None:
        name = PRIORITY_NAMES.get(review.priority_set, review.priority_set)
        return f"Priority set to {name} {by} at {when}"
    return f"Priority reviewed {by} at {when}"


def _waited(calendar: WorkCalendar, since: datetime, now: datetime) -> str:
    return timefmt.duration_working_hours(calendar.working_hours_between(since, now))


def conversation_lines(card: TicketCard, calendar: WorkCalendar, *, now: datetime) -> list[str]:
    """The client's last comment, our last public reply, and who is waiting on whom."""
    ticket = card.ticket
    today = calendar.today(now)
    client_at = ticket.last_requester_comment_at
    reply_at = ticket.last_agent_public_reply_at
    lines = []
    if client_at is not None:
        lines.append(f"Last client comment: {timefmt.instant(client_at, calendar.tz, today=today)}")
    if reply_at is not None:
        by = f" by {escape(card.last_reply_by)}" if card.last_reply_by else ""
        lines.append(
            f"Our last public reply: {timefmt.instant(reply_at, calendar.tz, today=today)}{by}"
        )
    else:
        lines.append("Our last public reply: none yet")
    if client_at is not None and (reply_at is None or client_at > reply_at):
        lines.append(f":hourglass: client waiting {_waited(calendar, client_at, now)}")
    elif reply_at is not None and ticket.status in ("new", "open"):
        lines.append(f"We replied {_waited(calendar, reply_at, now)} ago")
    return lines


def ticket_card_blocks(
    card: TicketCard, calendar: WorkCalendar, *, now: datetime, notice: str | None = None
) -> list[Block]:
    ticket = card.ticket
    today = calendar.today(now)
    subject = escape(_clip(ticket.subject, SUBJECT_LIMIT)) or "(no subject)"
    assignee = (
        f"<@{card.assignee_slack_id}>"
        if card.assignee_slack_id
        else escape(card.assignee)
        if card.assignee
        else "unassigned"
    )
    age = _waited(calendar, ticket.created_at, now)
    opened = timefmt.day(calendar.local(ticket.created_at).date(), today=today)
    fields = [
        ("Client", escape(card.client) if card.client else "—"),
        ("Requester", escape(card.requester) if card.requester else "—"),
        ("Status", STATUS_NAMES.get(ticket.status, ticket.status)),
        (
            "Priority",
            PRIORITY_NAMES.get(ticket.priority, ticket.priority) if ticket.priority else "not set",
        ),
        ("Assignee", assignee),
        ("Age", f"{age} (opened {opened})"),
    ]
    blocks: list[Block] = []
    if notice is not None:
        blocks.append(context(notice))
    blocks.append(section(f"*<{card.url}|#{ticket.id} {subject}>*"))
    blocks.append(
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        }
    )
    blocks.append(section("\n".join(conversation_lines(card, calendar, now=now))))
    blocks.extend(flags_block(ticket.id, card.flags))
    if card.review is not None:
        blocks.append(context(review_line(card.review, calendar, now=now)))
    if card.promises:
        lines = [
            promise_line(promise, calendar=calendar, today=today, owner=True)
            for promise in card.promises
        ]
        blocks.append(section("*Open promises to the client*\n" + "\n".join(lines)))
    blocks.append(priority_actions(ticket.id))
    return blocks


def ticket_card_text(card: TicketCard) -> str:
    """The notification fallback for the card."""
    return f"Ticket #{card.ticket.id}: {card.ticket.subject}"


def priority_select(ticket_id: int, *, action_id: str) -> Block:
    """Urgent / High / Normal / Low; each option's value carries the ticket and the priority."""
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": "Change priority"},
        "options": [
            {
                "text": {"type": "plain_text", "text": PRIORITY_NAMES[name]},
                "value": priority_option_value(ticket_id, name),
            }
            for name in PRIORITIES
        ],
    }


def priority_actions(ticket_id: int) -> Block:
    select = priority_select(ticket_id, action_id=ids.TICKET_PRIORITY_SET)
    return {
        "type": "actions",
        "block_id": f"ticket.priority.{ticket_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.TICKET_PRIORITY_RIGHT,
                "text": {"type": "plain_text", "text": "Priority is right"},
                "value": str(ticket_id),
            },
            select,
            promise_button(ticket_id),
            escalate_button(ticket_id, label="Escalate to delivery lead"),
            on_it_button(ticket_id),
            ask_help_button(ticket_id),
        ],
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
