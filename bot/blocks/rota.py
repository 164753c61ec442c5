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
• `/rota away FROM [TO] [@user]`: record an absence, e.g. `/rota away 21 Dec 2 Jan`
• `/rota lead @user [CLIENT]`: set the delivery lead, default or for one client
• `/rota stats`: weeks served and covers, per person, over the last 6 months
• `/rota stats clients`: per client over the last 4 weeks: tickets opened and solved, our \
public replies, promises kept and missed, escalations (and time logged, when set up)
• `/rota ical` / `/rota ical reset`: a private calendar feed link / a new link
• `/rota help`: this help
`/ticket ID` shows a ticket's card: it flags a client who sounds unhappy (with *Escalate*) \
and a requester not authorised for the client (not in its Zendesk organization, or without \
the authorised tag).
Dates: `2026-12-21`, `21 Dec`, `Dec 21`, `today`, `tomorrow`, `fri`, `next monday`."""

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
class ShownWeek:
    week: RotaWeek
    # The person on it is away that week and nobody could cover.
    uncovered: bool


@dataclass(frozen=True)
class RotaSummary:
    """One rota as a member sees it on their App Home."""

    channel_id: str
    current: RotaWeek | None
    my_weeks: list[RotaWeek]
    swaps_to_me: list[SwapRequest]
    swaps_from_me: list[SwapRequest]


def week_line(shown: ShownWeek, *, today: date, calendar: WorkCalendar) -> str:
    week = shown.week
    start = week.week_start
    label = week_label(start, today=today)
    current = calendar.week_start(today) == start
    text = f"*{label}*" if current else label
    text += f"  {mention(week.user_id)}{week_mark(week)}"
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
    current: RotaWeek | None, following: RotaWeek | None, *, today: date, calendar: WorkCalendar
) -> str:
    if current is None:
        return "Nobody is on support this week: add people with `/rota add @alice @bob`."
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


def swap_answered_blocks(text: str) -> list[Block]:
    return [section(text)]


def stats_text(rows: list[tuple[str, int, int, int]]) -> str:
    """rows: (user id, weeks served, covers given, covers taken)."""
    if not rows:
        return "No weeks served in the last 6 months yet."
    lines = ["*Last 6 months* (weeks served · covers given · covers taken)"]
    lines += [
        f"{mention(user)}: {served} · {given} · {taken}" for user, served, given, taken in rows
    ]
    return "\n".join(lines)
