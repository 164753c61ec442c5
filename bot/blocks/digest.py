"""The priority-review and client-waiting digests, their App Home and summary sections, and
the lines they show: each ticket with why it is listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot import ids, timefmt
from bot.blocks.escalation import escalate_button
from bot.blocks.flags import flag_lines, unhappy_escalate_button
from bot.blocks.kit import (
    MAX_BLOCKS,
    Block,
    actions,
    button,
    context,
    escape,
    header,
    mention,
    section,
)
from bot.blocks.models import NO_FLAGS, TicketFlags
from bot.blocks.ticket import PRIORITY_NAMES, priority_select
from bot.blocks.timeboxes import on_it_button
from bot.store.escalations import Escalation
from bot.store.shortlists import Shortlist
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar

# Each line takes two blocks; the header, intro and "and N more" take the rest.
MAX_LINES = (MAX_BLOCKS - 3) // 2
SECTION_LINES = 5


class ReviewReason(StrEnum):
    NO_PRIORITY = "no priority set"
    NEVER_REVIEWED = "never reviewed"
    CLIENT_COMMENTED = "the client wrote since the last review"
    STALE = "not reviewed for a while"


class WaitingReason(StrEnum):
    CLIENT_WROTE = "client"
    NO_REPLY = "no-reply"


@dataclass(frozen=True)
class Waiting:
    """Why a client is waiting on us, since when, and for how many working hours."""

    reason: WaitingReason
    since: datetime
    hours: float


@dataclass(frozen=True)
class ReviewLine:
    ticket: Ticket
    reason: ReviewReason
    client: str | None
    url: str | None
    last_reviewed: datetime | None
    flags: TicketFlags = NO_FLAGS


@dataclass(frozen=True)
class WaitingLine:
    ticket: Ticket
    waiting: Waiting
    client: str | None
    url: str | None
    flags: TicketFlags = NO_FLAGS


def ticket_title(ticket: Ticket, url: str | None) -> str:
    label = f"#{ticket.id} {ticket.subject or '(no subject)'}"
    return f"*<{url}|{escape(label)}>*" if url else f"*{escape(label)}*"


def _facts(ticket: Ticket, client: str | None) -> str:
    priority = PRIORITY_NAMES.get(ticket.priority or "", "no priority")
    return f"{escape(client)} · {priority}" if client else priority


def review_reason_text(line: ReviewLine, calendar: WorkCalendar, *, now: datetime) -> str:
    today = calendar.today(now)
    if line.last_reviewed is None:
        return line.reason.value
    reviewed = timefmt.day(calendar.today(line.last_reviewed), today=today)
    if line.reason is ReviewReason.STALE:
        return f"last reviewed {reviewed}"
    return f"{line.reason.value} ({reviewed})"


def review_line_text(line: ReviewLine, calendar: WorkCalendar, *, now: datetime) -> str:
    return _line_text(line, " · " + review_reason_text(line, calendar, now=now))


def waiting_reason_text(waiting: Waiting, calendar: WorkCalendar, *, now: datetime) -> str:
    waited = timefmt.duration_working_hours(waiting.hours)
    since = timefmt.instant(waiting.since, calendar.tz, today=calendar.today(now))
    if waiting.reason is WaitingReason.CLIENT_WROTE:
        return f":hourglass: client waiting {waited} (since {since})"
    return f":hourglass: no public reply from us for {waited} (since {since})"


def waiting_line_text(line: WaitingLine, calendar: WorkCalendar, *, now: datetime) -> str:
    return _line_text(line, "\n" + waiting_reason_text(line.waiting, calendar, now=now))


def _line_text(line: ReviewLine | WaitingLine, why: str) -> str:
    """The ticket's linked title, then its client and priority, then `why` it is listed, then
    what it is flagged for."""
    text = f"{ticket_title(line.ticket, line.url)}\n{_facts(line.ticket, line.client)}{why}"
    return "\n".join([text, *flag_lines(line.flags)])


def line_block_id(ticket_id: int) -> str:
    return f"digest.line.{ticket_id}"


def actions_block_id(ticket_id: int) -> str:
    return f"digest.actions.{ticket_id}"


# A waiting line's blocks are named apart from a review line's: the morning briefing can list
# one ticket in both sections, and a message's block ids must differ.
def waiting_block_id(ticket_id: int) -> str:
    return f"digest.waiting.{ticket_id}"


def waiting_actions_block_id(ticket_id: int) -> str:
    return f"digest.waiting-actions.{ticket_id}"


@dataclass(frozen=True)
class Total:
    """How many lines a list has in all, when only its first few were read; a floor
    ("500+") when counting stopped there."""

    count: int
    at_least: bool = False

    def __str__(self) -> str:
        return f"{self.count:,}+" if self.at_least else f"{self.count:,}"

    @classmethod
    def of(cls, shortlist: Shortlist) -> Total:
        return cls(shortlist.total, shortlist.more_than)

    def beyond(self, shown: int) -> Total:
        return Total(self.count - shown, self.at_least)


def _more(rest: Total, *, where: str = " — see App Home") -> list[Block]:
    return [context(f"and {rest} more{where}")] if rest.count > 0 else []


def review_digest_blocks(
    lines: list[ReviewLine], calendar: WorkCalendar, *, now: datetime, total: Total | None = None
) -> list[Block]:
    """The digest: the first lines, then a count of the rest (`total` counts all of them)."""
    shown = lines[:MAX_LINES]
    blocks = [
        header("Priorities to review"),
        context(
            "Triage, priority first: confirm each priority or change it in Zendesk. "
            "A ticket stays here until someone reviews it."
        ),
    ]
    for line in shown:
        ticket_id = line.ticket.id
        block = section(review_line_text(line, calendar, now=now))
        block["block_id"] = line_block_id(ticket_id)
        blocks.append(block)
        blocks.append(
            actions(
                button(
                    "Priority is right",
                    action_id=ids.DIGEST_PRIORITY_RIGHT,
                    value=str(ticket_id),
                    style="primary",
                ),
                priority_select(ticket_id, action_id=ids.DIGEST_PRIORITY_SET),
                escalate_button(ticket_id),
                on_it_button(ticket_id),
                block_id=actions_block_id(ticket_id),
            )
        )
    return blocks + _more(_total(lines, total).beyond(len(shown)))


def review_digest_text(lines: list[ReviewLine], total: Total | None = None) -> str:
    count = _total(lines, total)
    if count == Total(1):
        return "1 ticket needs a priority review"
    return f"{count} tickets need a priority review"


def waiting_digest_blocks(
    lines: list[WaitingLine], calendar: WorkCalendar, *, now: datetime, total: Total | None = None
) -> list[Block]:
    shown = lines[:MAX_LINES]
    blocks = [
        header("Clients waiting on us"),
        context("Keep clients informed: reply, promise an update, or escalate."),
    ]
    for line in shown:
        ticket_id = line.ticket.id
        block = section(waiting_line_text(line, calendar, now=now))
        block["block_id"] = waiting_block_id(ticket_id)
        blocks.append(block)
        buttons = [
            button("Promise an update", action_id=ids.PROMISE_OPEN_MODAL, value=str(ticket_id)),
            unhappy_escalate_button(ticket_id)
            if line.flags.unhappy is not None
            else escalate_button(ticket_id),
            on_it_button(ticket_id),
        ]
        if line.url:
            buttons.insert(
                0,
                button(
                    "Open in Zendesk",
                    action_id=ids.OPEN_IN_ZENDESK,
                    value=str(ticket_id),
                    url=line.url,
                ),
            )
        blocks.append(actions(*buttons, block_id=waiting_actions_block_id(ticket_id)))
    return blocks + _more(_total(lines, total).beyond(len(shown)))


def waiting_digest_text(lines: list[WaitingLine], total: Total | None = None) -> str:
    count = _total(lines, total)
    return f"{count} client{'s' if count != Total(1) else ''} waiting on us"


# The morning briefing: both lists, each with its header, intro, lines and "and N more".
BRIEFING_LINES = (MAX_BLOCKS - 6) // 2


def briefing_split(review: int, waiting: int) -> tuple[int, int]:
    """How many review and waiting lines the briefing shows: half each, or what the other
    list leaves."""
    half = BRIEFING_LINES // 2
    shown_review = min(review, max(half, BRIEFING_LINES - waiting))
    return shown_review, min(waiting, BRIEFING_LINES - shown_review)


def briefing_blocks(
    review: list[ReviewLine],
    waiting: list[WaitingLine],
    calendar: WorkCalendar,
    *,
    now: datetime,
    review_total: Total,
    waiting_total: Total,
) -> list[Block]:
    """A person's morning: the priorities to review, then the clients waiting; an empty list
    is left out. The lines are the ones to show (see briefing_split), totals count them all."""
    blocks: list[Block] = []
    if review:
        blocks += review_digest_blocks(review, calendar, now=now, total=review_total)
    if waiting:
        blocks += waiting_digest_blocks(waiting, calendar, now=now, total=waiting_total)
    return blocks


def briefing_text(
    review: list[ReviewLine], waiting: list[WaitingLine], review_total: Total, waiting_total: Total
) -> str:
    parts = []
    if review:
        parts.append(review_digest_text(review, review_total))
    if waiting:
        parts.append(waiting_digest_text(waiting, waiting_total))
    return "Morning briefing: " + " · ".join(parts)


def channel_waiting_text(line: WaitingLine, person: str | None) -> str:
    who = f"{mention(person)} was nudged about it" if person else "It was nudged"
    return (
        f"Still waiting: #{line.ticket.id} {escape(line.ticket.subject or '(no subject)')}. "
        f"{who} on two working days."
    )


def channel_waiting_blocks(
    line: WaitingLine, person: str | None, calendar: WorkCalendar, *, now: datetime
) -> list[Block]:
    who = f"{mention(person)} was nudged" if person else "Nudged"
    return [
        section(
            f":rotating_light: A client is still waiting. {who} on two working days.\n"
            + waiting_line_text(line, calendar, now=now)
        ),
        actions(escalate_button(line.ticket.id), block_id=actions_block_id(line.ticket.id)),
    ]


def line_done(blocks: list[Block], ticket_id: int, text: str) -> list[Block]:
    """The digest with one ticket's line and buttons replaced by what was done about it."""
    done: list[Block] = []
    for block in blocks:
        block_id = block.get("block_id")
        if block_id == line_block_id(ticket_id):
            done.append({**context(text), "block_id": block_id})
        elif block_id != actions_block_id(ticket_id):
            done.append(block)
    return done


def confirmed_text(ticket: Ticket, user: str) -> str:
    name = PRIORITY_NAMES.get(ticket.priority or "", "no priority")
    return f":white_check_mark: #{ticket.id}: {mention(user)} confirmed the priority ({name})."


def changed_text(ticket: Ticket, user: str) -> str:
    name = PRIORITY_NAMES.get(ticket.priority or "", "no priority")
    return f":white_check_mark: #{ticket.id}: {mention(user)} set the priority to {name}."


def review_section(
    lines: list[ReviewLine], calendar: WorkCalendar, *, now: datetime, total: Total | None = None
) -> list[Block]:
    """For the App Home and the weekly summary: tickets needing a priority review."""
    texts = [review_line_text(line, calendar, now=now) for line in lines[:SECTION_LINES]]
    none = "None: every open ticket's priority is reviewed."
    return _section("Priorities to review", none, texts, _total(lines, total))


def waiting_section(
    lines: list[WaitingLine], calendar: WorkCalendar, *, now: datetime, total: Total | None = None
) -> list[Block]:
    """For the App Home and the weekly summary: clients waiting on us."""
    texts = [waiting_line_text(line, calendar, now=now) for line in lines[:SECTION_LINES]]
    none = "None: every client has heard from us in time."
    return _section("Clients waiting", none, texts, _total(lines, total))


def _section(title: str, none: str, texts: list[str], count: Total) -> list[Block]:
    """A titled list's first lines and a count of the rest, or a line saying it is empty."""
    if not texts:
        return [section(f"*{title}*\n{none}")]
    blocks = [section(f"*{title}* ({count})"), *(section(text) for text in texts)]
    return blocks + _more(count.beyond(len(texts)), where="")


def _total(lines: list[Any], total: Total | None) -> Total:
    """How many lines there are in all: `total` when only the first few were read."""
    if total is None or total.count < len(lines):
        return Total(len(lines))
    return total


@dataclass(frozen=True)
class Nudges:
    """The first lines of each nudge list, and how many lines each has in all."""

    review: list[ReviewLine] = field(default_factory=list)
    review_total: Total = Total(0)
    waiting: list[WaitingLine] = field(default_factory=list)
    waiting_total: Total = Total(0)


@dataclass(frozen=True)
class PersonalNudges(Nudges):
    # Open escalations the person raised or leads, with their ticket links.
    escalations: list[tuple[Escalation, str]] = field(default_factory=list)
