"""The App Home view, as a list of sections: each a pure function from the context to blocks.

Later features add a section function to `SECTIONS` (and what it needs to `HomeContext`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot import timefmt
from bot.blocks.digest import PersonalNudges, review_section, waiting_section
from bot.blocks.escalation import escalations_section
from bot.blocks.help import HelpView, booked_help_blocks
from bot.blocks.kit import Block, context, mention, section
from bot.blocks.promises import home_promise_blocks
from bot.blocks.rota import (
    RotaSummary,
    split_week,
    swap_request_blocks,
    week_label,
    week_mark,
)
from bot.blocks.timeboxes import RunningTimebox, home_timebox_blocks
from bot.store.promises import Promise
from bot.worktime import WorkCalendar

# Slack's limit on the blocks of a view.
MAX_BLOCKS = 100


@dataclass(frozen=True)
class HomeContext:
    user_id: str
    today: date
    calendar: WorkCalendar
    rotas: list[RotaSummary]
    # A one-line answer to what the person just did here (e.g. a button they clicked).
    notice: str | None = None
    # Your open promised updates, soonest first.
    promises: list[Promise] = field(default_factory=list)
    # Your tickets whose priority needs a review or whose client waits, and your escalations.
    nudges: PersonalNudges = field(default_factory=PersonalNudges)
    now: datetime | None = None
    timebox: RunningTimebox | None = None
    # Accepted help you give or get, soonest first.
    help: list[HelpView] = field(default_factory=list)


Section = Callable[[HomeContext], list[Block]]


def notice_section(home: HomeContext) -> list[Block]:
    return [section(home.notice)] if home.notice else []


def how_to_start_section(home: HomeContext) -> list[Block]:
    if home.rotas:
        return []
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Welcome to Rotabot"}},
        section(
            "You're not on a support rota yet. In your team's channel, type "
            "`/rota add @you @teammate …` to start one (the first person is on support this "
            "week), or ask a teammate to add you. `/rota help` shows everything it can do."
        ),
    ]


def rotas_section(home: HomeContext) -> list[Block]:
    blocks: list[Block] = []
    for summary in home.rotas:
        blocks += [{"type": "divider"}, section(f"*Support rota in <#{summary.channel_id}>*")]
        blocks.append(section(_now_line(summary, home)))
        blocks.append(section(_my_weeks(summary, home)))
        for request in summary.swaps_to_me:
            blocks += swap_request_blocks(request, channel_id=summary.channel_id, today=home.today)
        for request in summary.swaps_from_me:
            blocks.append(
                context(
                    f"You asked {mention(request.target)} to swap your "
                    f"{week_label(request.requester_week, today=home.today)} for their "
                    f"{week_label(request.target_week, today=home.today)}: waiting for an answer."
                )
            )
    return blocks


def promises_section(home: HomeContext) -> list[Block]:
    if not home.promises:
        return []
    blocks: list[Block] = [
        {"type": "divider"},
        section("*Your open promises to clients*, soonest first"),
    ]
    for promise in home.promises:
        blocks += home_promise_blocks(promise, calendar=home.calendar, today=home.today)
    return blocks


def nudges_section(home: HomeContext) -> list[Block]:
    nudges, now = home.nudges, home.now
    if now is None:
        return []
    blocks: list[Block] = []
    if nudges.review:
        blocks += [
            {"type": "divider"},
            *review_section(nudges.review, home.calendar, now=now, total=nudges.review_total),
        ]
    if nudges.waiting:
        blocks += [
            {"type": "divider"},
            *waiting_section(nudges.waiting, home.calendar, now=now, total=nudges.waiting_total),
        ]
    if nudges.escalations:
        blocks += [
            {"type": "divider"},
            *escalations_section(nudges.escalations, home.calendar, now=now),
        ]
    return blocks


def timebox_section(home: HomeContext) -> list[Block]:
    return home_timebox_blocks(home.timebox)


def help_section(home: HomeContext) -> list[Block]:
    if not home.help or home.now is None:
        return []
    return [{"type": "divider"}, *booked_help_blocks(home.help, home.calendar, now=home.now)]


SECTIONS: list[Section] = [
    notice_section,
    how_to_start_section,
    timebox_section,
    help_section,
    rotas_section,
    promises_section,
    nudges_section,
]


def home_view(home: HomeContext, sections: list[Section] = SECTIONS) -> dict[str, Any]:
    blocks = [block for section in sections for block in section(home)]
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def _now_line(summary: RotaSummary, home: HomeContext) -> str:
    """Who is on support today, covering included, until when; and who is on after them
    when someone covers part of the week."""
    current = summary.current
    if current is None:
        return "Nobody is on support this week."
    runs = split_week(current, summary.covers)
    today = home.today
    now = next((i for i, (first, last, _) in enumerate(runs) if first <= today <= last), None)
    if now is None:  # a weekend: the week's runs are behind or ahead
        now = 0 if today < runs[0][0] else len(runs) - 1
    _, until, person = runs[now]
    if now == len(runs) - 1:
        until = home.calendar.last_working_day_of_week(current.week_start) or (
            current.week_start + timedelta(days=4)
        )
    who = "You're" if person == home.user_id else f"{mention(person)} is"
    planned = "you" if current.user_id == home.user_id else mention(current.user_id)
    covering = "," if person == current.user_id else f", covering for {planned}"
    text = f"{who} on support now{covering} until {timefmt.day(until, today=today)}."
    if now + 1 < len(runs):
        first, _, after = runs[now + 1]
        since = timefmt.day(first, today=today)
        if after == current.user_id:
            text += f" Back to {planned} from {since}."
        else:
            text += f" {'You cover' if after == home.user_id else f'{mention(after)} covers'}"
            text += f" from {since}."
    return text


def _my_weeks(summary: RotaSummary, home: HomeContext) -> str:
    if not summary.my_weeks:
        return "You have no support weeks in the next weeks."
    lines = [
        f"• {week_label(w.week_start, today=home.today)}{week_mark(w)}" for w in summary.my_weeks
    ]
    return "*Your next weeks on support:*\n" + "\n".join(lines)
