"""The handover DMs and the weekly summary post: pure functions from data to Block Kit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot import ids, timefmt
from bot.blocks.digest import ReviewLine, Total, WaitingLine, review_section, waiting_section
from bot.blocks.escalation import escalations_section
from bot.blocks.figures import figures_section
from bot.blocks.flags import not_authorised_text
from bot.blocks.help import HelpView, booked_help_blocks
from bot.blocks.kit import (
    Block,
    actions,
    button,
    context,
    escape,
    header,
    link,
    mention,
    section,
    ticket_url,
)
from bot.blocks.models import ClientFigures
from bot.blocks.promises import promise_line, take_button
from bot.priorities import PRIORITIES
from bot.store.escalations import Escalation
from bot.store.promises import Promise
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar

MAX_LINES = 15


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def ticket_line(ticket: Ticket, *, zendesk_url: str | None) -> str:
    number = f"#{ticket.id}"
    url = ticket_url(zendesk_url, ticket.id)
    label = link(url, number) if url else number
    priority = f" · *{ticket.priority}*" if ticket.priority else " · no priority"
    return f"• {label} {escape(ticket.subject) or '(no subject)'}{priority} · {ticket.status}"


def ticket_lines(tickets: list[Ticket], *, zendesk_url: str | None, empty: str) -> str:
    if not tickets:
        return empty
    lines = [ticket_line(ticket, zendesk_url=zendesk_url) for ticket in tickets[:MAX_LINES]]
    if len(tickets) > MAX_LINES:
        lines.append(f"…and {len(tickets) - MAX_LINES} more in Zendesk.")
    return "\n".join(lines)


def week_range(monday: date, *, today: date) -> str:
    return timefmt.day_range(monday, monday + timedelta(days=4), today=today)


@dataclass(frozen=True)
class Handover:
    channel_id: str
    ending_week: date
    starting_week: date
    outgoing: str | None
    incoming: str | None
    lead: str | None
    tickets: list[Ticket]
    today: date
    zendesk_url: str | None
    # Open promises held by the outgoing person: the incoming person may take them on.
    promises: list[Promise] = field(default_factory=list)
    calendar: WorkCalendar | None = None
    # Accepted help the outgoing or incoming person gives or gets, and the time of writing.
    help_booked: list[HelpView] = field(default_factory=list)
    now: datetime | None = None

    @property
    def working_on_us(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status in ("new", "open")]

    @property
    def waiting_on_client(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status in ("pending", "hold")]


def _ticket_sections(handover: Handover, *, whose: str) -> list[Block]:
    url = handover.zendesk_url
    return [
        section(
            f"*Open tickets on us* (held by {whose} or by nobody)\n"
            + ticket_lines(handover.working_on_us, zendesk_url=url, empty="None: a clean slate.")
        ),
        section(
            "*Waiting on the client*\n"
            + ticket_lines(handover.waiting_on_client, zendesk_url=url, empty="None.")
        ),
    ]


def _help_sections(handover: Handover) -> list[Block]:
    if not handover.help_booked or handover.calendar is None or handover.now is None:
        return []
    return booked_help_blocks(handover.help_booked, handover.calendar, now=handover.now)


def _zendesk_button(handover: Handover) -> list[Block]:
    if handover.zendesk_url is None:
        return []
    views = f"{handover.zendesk_url}/agent/filters"
    return [actions(button("Open Zendesk", action_id=ids.OPEN_IN_ZENDESK, url=views))]


def _promise_sections(handover: Handover, *, offer: bool) -> list[Block]:
    if not handover.promises or handover.calendar is None:
        return []
    lines = [
        promise_line(p, calendar=handover.calendar, today=handover.today) for p in handover.promises
    ]
    if not offer:
        return [
            section(
                "*Your open promises* (keep them, or hand them on)\n" + "\n".join(lines[:MAX_LINES])
            )
        ]
    blocks = [section(f"*Open promises* {mention(handover.outgoing or '')} made to clients:")]
    for promise, line in list(zip(handover.promises, lines, strict=True))[:MAX_LINES]:
        assert promise.id is not None
        blocks.append(section(line, accessory=take_button(promise.id)))
    return blocks


def outgoing_blocks(handover: Handover) -> list[Block]:
    assert handover.outgoing is not None
    successor = (
        f"{mention(handover.incoming)} takes over on "
        f"*{timefmt.day(handover.starting_week, today=handover.today)}*."
        if handover.incoming
        else "Nobody is on the rota for next week yet."
    )
    return [
        header("Handover: your support week ends"),
        section(
            f"Your support week *{week_range(handover.ending_week, today=handover.today)}* "
            f"in <#{handover.channel_id}> is ending. {successor}"
        ),
        *_ticket_sections(handover, whose="you"),
        *_promise_sections(handover, offer=False),
        *_help_sections(handover),
        context(
            "Before you hand over: leave a note on any ticket you are part-way through, and "
            "tell the next person anything that is not written in Zendesk (promises made, "
            "clients to watch)."
        ),
        *_zendesk_button(handover),
    ]


def incoming_blocks(handover: Handover) -> list[Block]:
    assert handover.incoming is not None
    ask = []
    if handover.outgoing and handover.outgoing != handover.incoming:
        ask.append(f"{mention(handover.outgoing)} (on support until now)")
    if handover.lead:
        ask.append(f"{mention(handover.lead)} (delivery lead)")
    who_to_ask = "Who to ask: " + ", ".join(ask) + "." if ask else ""
    return [
        header("You're on support next"),
        section(
            "You're on support from "
            f"*{timefmt.day(handover.starting_week, today=handover.today)} to "
            f"{timefmt.day(handover.starting_week + timedelta(days=4), today=handover.today)}* "
            f"in <#{handover.channel_id}>. {who_to_ask}".rstrip()
        ),
        *_ticket_sections(
            handover,
            whose=mention(handover.outgoing) if handover.outgoing else "the last person",
        ),
        *_promise_sections(handover, offer=True),
        *_help_sections(handover),
        *_zendesk_button(handover),
    ]


def outgoing_text(handover: Handover) -> str:
    week = week_range(handover.ending_week, today=handover.today)
    return f"Handover: your support week {week} is ending."


def incoming_text(handover: Handover) -> str:
    start = timefmt.day(handover.starting_week, today=handover.today)
    end = timefmt.day(handover.starting_week + timedelta(days=4), today=handover.today)
    return f"You're on support from {start} to {end}."


@dataclass(frozen=True)
class Summary:
    channel_id: str
    week: date
    today: date
    now: datetime
    calendar: WorkCalendar
    zendesk_url: str | None
    on_support: str | None
    next_on_support: str | None
    counts: dict[str | None, int] = field(default_factory=dict)
    urgent_and_high: list[Ticket] = field(default_factory=list)
    # The first lines of each list, and (when more were found than read) how many in all.
    review: list[ReviewLine] = field(default_factory=list)
    review_total: Total | None = None
    waiting: list[WaitingLine] = field(default_factory=list)
    waiting_total: Total | None = None
    escalations: list[tuple[Escalation, str]] = field(default_factory=list)
    opened_last_week: int = 0
    solved_last_week: int = 0
    swaps_last_week: int = 0
    covered_last_week: tuple[str, str] | None = None
    # Soonest due first; `open_promises_total` counts them all when only the first were read.
    open_promises: list[Promise] = field(default_factory=list)
    open_promises_total: int | None = None
    # Open tickets active last week from requesters not authorised, with the client they asked
    # for; one more than MAX_LINES when there are more.
    not_authorised: list[tuple[Ticket, str]] = field(default_factory=list)
    # Last week's figures per client (chargeable tickets and time-box hours among them).
    client_figures: ClientFigures | None = None


# A section of the weekly summary: later features add theirs to SUMMARY_SECTIONS.
SummarySection = Callable[[Summary], list[Block]]


def rota_section(summary: Summary) -> list[Block]:
    this = week_range(summary.week, today=summary.today)
    after = week_range(summary.week + timedelta(days=7), today=summary.today)
    now_on = mention(summary.on_support) if summary.on_support else "nobody yet"
    next_on = mention(summary.next_on_support) if summary.next_on_support else "nobody yet"
    return [
        header(f"Support week {this}"),
        section(f"*On support this week:* {now_on} ({this})\n*Next week:* {next_on} ({after})"),
    ]


def open_tickets_section(summary: Summary) -> list[Block]:
    if not summary.counts:
        return [section("*Open tickets:* none. :tada:")]
    parts = [f"{summary.counts[name]} {name}" for name in PRIORITIES if summary.counts.get(name)]
    if summary.counts.get(None):
        parts.append(f"{summary.counts[None]} without a priority")
    text = "*Open tickets:* " + " · ".join(parts)
    if summary.urgent_and_high:
        text += "\n" + ticket_lines(
            summary.urgent_and_high, zendesk_url=summary.zendesk_url, empty=""
        )
    return [section(text)]


def promises_section(summary: Summary) -> list[Block]:
    if not summary.open_promises:
        return []
    lines = [
        promise_line(p, calendar=summary.calendar, today=summary.today, owner=True)
        for p in summary.open_promises[:MAX_LINES]
    ]
    total = summary.open_promises_total
    more = max(len(summary.open_promises) if total is None else total, len(lines)) - len(lines)
    if more > 0:
        lines.append(f"…and {more:,} more.")
    return [section("*Open promises to clients*, soonest first:\n" + "\n".join(lines))]


def last_week_section(summary: Summary) -> list[Block]:
    last = week_range(summary.week - timedelta(days=7), today=summary.today)
    text = (
        f"*Last week* ({last}): {plural(summary.opened_last_week, 'ticket')} opened, "
        f"{summary.solved_last_week} solved, {plural(summary.swaps_last_week, 'swap')} agreed."
    )
    if summary.covered_last_week is not None:
        coverer, absent = summary.covered_last_week
        text += f" {mention(coverer)} covered for {mention(absent)}."
    return [context(text)]


def review_summary_section(summary: Summary) -> list[Block]:
    return review_section(
        summary.review, summary.calendar, now=summary.now, total=summary.review_total
    )


def waiting_summary_section(summary: Summary) -> list[Block]:
    return waiting_section(
        summary.waiting, summary.calendar, now=summary.now, total=summary.waiting_total
    )


def not_authorised_section(summary: Summary) -> list[Block]:
    """Open tickets from requesters not authorised for their client: check before acting."""
    if not summary.not_authorised:
        return []
    lines = [
        f"{ticket_line(ticket, zendesk_url=summary.zendesk_url)} · "
        + not_authorised_text(client).removeprefix(":no_entry: ")
        for ticket, client in summary.not_authorised[:MAX_LINES]
    ]
    more = len(summary.not_authorised) > MAX_LINES
    if more:
        lines.append("…and more: see each ticket's card.")
    count = f"{MAX_LINES}+ open tickets" if more else plural(len(lines), "open ticket")
    title = (
        f"*Requesters not authorised* ({count} active last week): check before changing anything"
    )
    return [section(title + "\n" + "\n".join(lines))]


def client_figures_section(summary: Summary) -> list[Block]:
    if summary.client_figures is None:
        return []
    last = week_range(summary.week - timedelta(days=7), today=summary.today)
    return figures_section(summary.client_figures, title=f"*Per client, last week* ({last})")


def escalations_summary_section(summary: Summary) -> list[Block]:
    if not summary.escalations:
        return []
    return escalations_section(summary.escalations, summary.calendar, now=summary.now)


SUMMARY_SECTIONS: list[SummarySection] = [
    rota_section,
    open_tickets_section,
    waiting_summary_section,
    not_authorised_section,
    review_summary_section,
    promises_section,
    escalations_summary_section,
    last_week_section,
    client_figures_section,
]


def summary_blocks(
    summary: Summary, sections: list[SummarySection] = SUMMARY_SECTIONS
) -> list[Block]:
    return [block for build in sections for block in build(summary)]


def summary_text(summary: Summary) -> str:
    who = f"<@{summary.on_support}>" if summary.on_support else "nobody yet"
    return f"Support week {week_range(summary.week, today=summary.today)}: {who} is on support."
