"""Block Kit and message text for `/rota`: the week list, swap requests, stats, notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot import ids, timefmt
from bot.blocks.kit import Block, actions, button, context, mention, section
from bot.store import rota as store
from bot.store.rota import RotaWeek, SwapRequest
from bot.worktime import WorkCalendar

LINES_PER_SECTION = 8

USAGE = """*Usage:* `/rota` in the team's channel
• `/rota` or `/rota show [N]`: this week and the next ones (default 6, up to 26)
• `/rota who`: post who is on support now, and who is next
• `/rota add @a @b`: add people at the end of the order (the first `add` starts the rota)
• `/rota remove @a`: take someone out; their future weeks are re-planned
• `/rota swap @b [DATE]`: ask @b to swap your next week (or the week of DATE) with theirs
• `/rota away FROM [TO] [@user]`: record an absence, e.g. `/rota away 21 Dec 2 Jan`; \
inside a week under way, the rest of its working days are offered to the next person \
(Accept / Decline)
• `/rota lead @user [CLIENT]`: set the delivery lead, default or for one client
• `/rota stats`: weeks served and days of cover, per person, over the last 6 months
• `/rota stats clients`: per client over the last 4 weeks: tickets opened and solved, our \
public replies, promises kept and missed, escalations, chargeable tickets, time-box hours \
(and time logged, when set up)
• `/rota group @support` / `/rota group off`: a Slack user group that always holds whoever \
is on support (paid Slack plans) / unlink it
• `/rota topic on` / `/rota topic off`: an "On support: @name until Fri 4 Dec" line in the \
channel topic / remove it
• `/rota ical` / `/rota ical reset`: a private calendar feed link / a new link
• `/rota help`: this help
`/ticket ID` shows a ticket's card: it flags a client who sounds unhappy (with *Escalate*) \
and a requester not authorised for the client (not in its Zendesk organization, or without \
the authorised tag).
Dates: `2026-12-21`, `21 Dec`, `Dec 21`, `today`, `tomorrow`, `fri`, `next monday`."""

# What the ticket card's buttons do, for `/rota help`.
TICKET_BUTTONS = (
    "*Tickets* (`/ticket ID` shows a card with the buttons):",
    "• *Escalate to delivery lead* → *Out of scope — chargeable work*: the ticket is reassigned "
    "in Zendesk to the client's lead and tagged, with your explanation; *Take it back* undoes it",
    "• *I'm on it* (card and digests): a time-box; after 2 working hours on the ticket you get a "
    "DM with *Escalate*, *One more hour* and *Stop* (one at a time: starting another pauses it)",
    "• *Ask for help…*: book a teammate for a working-time slot; they *Accept*, *Suggest another "
    "time* or *Decline*; you both get a reminder 15 minutes before",
)
USAGE += "\n" + "\n".join(TICKET_BUTTONS)

NO_ROTA = (
    "This channel has no support rota yet. Start one by adding the team, in order: "
    "`/rota add @alice @bob @carol` — the first person is on support this week."
)


def week_label(week_start: date, *, today: date) -> str:
    """Monday to Friday of the week, e.g. "Mon 7 Dec – Fri 11 Dec"."""
    return timefmt.day_range(week_start, week_start + timedelta(days=4), today=today)


def holiday_note(week_start: date, calendar: WorkCalendar, *, today: date) -> str:
    days = [week_start + timedelta(days=offset) for offset in range(5)]
    holidays = [d for d in days if calendar.is_holiday(d)]
    if not holidays:
        return ""
    if len(holidays) == 5:
        return " _(no working days: all public holidays)_"
    names = ", ".join(f"{timefmt.day(d, today=today)} {calendar.holiday_name(d)}" for d in holidays)
    return f" _(holiday: {names})_"


def week_mark(week: RotaWeek) -> str:
    if week.partner is None:
        return ""
    if week.kind == store.SWAPPED:
        return f" · swapped with {mention(week.partner)}"
    if week.kind == store.COVER:
        return f" · covering for {mention(week.partner)}"
    if week.kind == store.COVER_RETURN:
        return f" · swapped for cover ({mention(week.partner)} covered for them)"
    return ""


@dataclass(frozen=True)
class DaysCover:
    """Days of a started week someone covers (or is being asked to): first, last, who."""

    first_day: date
    last_day: date
    person: str
    accepted: bool = True


@dataclass(frozen=True)
class ShownWeek:
    week: RotaWeek
    # The person on it is away that week and nobody could cover.
    uncovered: bool
    covers: tuple[DaysCover, ...] = ()


def split_week(week: RotaWeek, covers: tuple[DaysCover, ...]) -> list[tuple[date, date, str]]:
    """Monday to Friday as runs of days with one person on support: (first, last, who)."""
    runs: list[tuple[date, date, str]] = []
    for offset in range(5):
        day = week.week_start + timedelta(days=offset)
        on = next(
            (c.person for c in reversed(covers) if c.accepted and c.first_day <= day <= c.last_day),
            week.user_id,
        )
        if runs and runs[-1][2] == on:
            runs[-1] = (runs[-1][0], day, on)
        else:
            runs.append((day, day, on))
    return runs


def _who_and_when(shown: ShownWeek, *, today: date, current: bool) -> str:
    week = shown.week
    runs = split_week(week, shown.covers)
    if len(runs) == 1:
        label = week_label(week.week_start, today=today)
        text = f"*{label}*" if current else label
        return f"{text}  {mention(week.user_id)}{week_mark(week)}"
    parts = []
    for first, last, person in runs:
        label = timefmt.day_range(first, last, today=today)
        label = f"*{label}*" if current else label
        covering = " covering" if person != week.user_id else week_mark(week)
        parts.append(f"{label}  {mention(person)}{covering}")
    return " · ".join(parts)


@dataclass(frozen=True)
class RotaSummary:
    """One rota as a member sees it on their App Home."""

    channel_id: str
    current: RotaWeek | None
    my_weeks: list[RotaWeek]
    swaps_to_me: list[SwapRequest]
    swaps_from_me: list[SwapRequest]
    # Accepted cover inside this week: the days someone else is on support.
    covers: tuple[DaysCover, ...] = ()


def week_line(shown: ShownWeek, *, today: date, calendar: WorkCalendar) -> str:
    week = shown.week
    start = week.week_start
    current = calendar.week_start(today) == start
    text = _who_and_when(shown, today=today, current=current)
    for asking in shown.covers:
        if not asking.accepted:
            text += (
                f" · asking {mention(asking.person)} to cover "
                f"{timefmt.day_range(asking.first_day, asking.last_day, today=today)}"
            )
    text += holiday_note(start, calendar, today=today)
    if shown.uncovered:
        text += f"  :warning: {mention(week.user_id)} is away: nobody available to cover"
    if current:
        text = f":arrow_forward: {text}  ← this week"
    return text


def rota_blocks(
    shown: list[ShownWeek], *, today: date, calendar: WorkCalendar, has_members: bool
) -> list[Block]:
    if not shown:
        text = (
            "Nobody is on this rota: add people with `/rota add @alice @bob`."
            if not has_members
            else "No weeks to show."
        )
        return [section(text)]
    lines = [week_line(s, today=today, calendar=calendar) for s in shown]
    # A section holds at most 3000 characters, so long lists take several.
    chunks = [lines[i : i + LINES_PER_SECTION] for i in range(0, len(lines), LINES_PER_SECTION)]
    return [
        section("*Support rota*"),
        *(section("\n".join(chunk)) for chunk in chunks),
        context("Change it: `/rota swap @who`, `/rota away FROM TO`, `/rota help`"),
    ]


def rota_text(shown: list[ShownWeek], *, today: date, calendar: WorkCalendar) -> str:
    """Notification fallback for the week list."""
    if not shown:
        return "Support rota: nobody yet."
    first = shown[0].week
    return f"Support rota: {mention(first.user_id)} this week, and {len(shown) - 1} more weeks."


def who_text(
    current: RotaWeek | None,
    following: RotaWeek | None,
    *,
    today: date,
    calendar: WorkCalendar,
    covering: tuple[str, date] | None = None,
) -> str:
    """`covering`: who covers today inside the week, and their last day of cover."""
    if current is None:
        return "Nobody is on support this week: add people with `/rota add @alice @bob`."
    if covering is not None:
        person, until = covering
        text = (
            f":technologist: On support now: {mention(person)}, covering for "
            f"{mention(current.user_id)} until {timefmt.day(until, today=today)}."
        )
    else:
        last_day = calendar.last_working_day_of_week(current.week_start) or (
            current.week_start + timedelta(days=4)
        )
        text = (
            f":technologist: On support now: {mention(current.user_id)}, "
            f"until {timefmt.day(last_day, today=today)}."
        )
    if following is not None:
        text += (
            f"\nNext: {mention(following.user_id)}, "
            f"{week_label(following.week_start, today=today)}."
        )
    return text


def swap_request_text(request: SwapRequest, *, channel_id: str, today: date) -> str:
    return (
        f"{mention(request.requester)} asks to swap support weeks with you in <#{channel_id}>: "
        f"you would take their week {week_label(request.requester_week, today=today)}, "
        f"and they would take yours, {week_label(request.target_week, today=today)}."
    )


def swap_request_blocks(request: SwapRequest, *, channel_id: str, today: date) -> list[Block]:
    key = str(request.id)
    return [
        section(swap_request_text(request, channel_id=channel_id, today=today)),
        actions(
            button("Accept", action_id=ids.SWAP_ACCEPT, value=key, style="primary"),
            button("Decline", action_id=ids.SWAP_DECLINE, value=key),
            block_id=f"swap_{key}",
        ),
    ]


def cover_request_text(absent: str, days: str, *, channel_id: str) -> str:
    return (
        f"{mention(absent)} is away {days} during their support week in <#{channel_id}>. "
        "Can you cover support on those days?"
    )


def cover_request_blocks(absent: str, days: str, *, channel_id: str, cover_id: int) -> list[Block]:
    key = str(cover_id)
    return [
        section(cover_request_text(absent, days, channel_id=channel_id)),
        actions(
            button("Accept", action_id=ids.COVER_ACCEPT, value=key, style="primary"),
            button("Decline", action_id=ids.COVER_DECLINE, value=key),
            block_id=f"cover_{key}",
        ),
    ]


def swap_answered_blocks(text: str) -> list[Block]:
    return [section(text)]


def stats_text(rows: list[tuple[str, int, int, int]]) -> str:
    """rows: (user id, weeks served, working days of cover given, taken)."""
    if not rows:
        return "No weeks served in the last 6 months yet."
    lines = ["*Last 6 months* (weeks served · cover days given · cover days taken)"]
    lines += [
        f"{mention(user)}: {served} · {given} · {taken}" for user, served, given, taken in rows
    ]
    return "\n".join(lines)
