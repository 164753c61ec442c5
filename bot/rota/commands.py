"""The /rota command: run a parsed command, and the subcommands that only read the rota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot import timefmt
from bot.blocks.figures import figures_text
from bot.blocks.rota import NO_ROTA, USAGE, stats_text, who_text
from bot.dates import DateError
from bot.figures import client_figures
from bot.rota.changes import add, away, ical, lead, remove, swap
from bot.rota.parse import Command, UsageError
from bot.rota.planning import DaysCovered, fairness
from bot.rota.request import (
    NoRota,
    Outcome,
    Post,
    RotaRequest,
    channel_rota,
    member_ids,
    shown_rota,
)
from bot.rota.surface_commands import group, topic
from bot.store import rota as store
from bot.store import rota_cover as covers

STATS_WINDOW = timedelta(days=183)
CLIENT_STATS_WEEKS = 4
IN_A_CHANNEL = (
    "A rota belongs to a channel: use `/rota` in your team's channel, not in a direct message."
)
INVITE = "Invite @Rotabot to this channel first: /invite @Rotabot"


def run_command(request: RotaRequest, command: Command) -> Outcome:
    """Do what the parsed command asks; every problem becomes a sentence plus the usage."""
    if request.channel_id.startswith("D") and command.name != "help":
        return Outcome(IN_A_CHANNEL)
    try:
        return COMMANDS[command.name](request, command)
    except NoRota:
        return Outcome(NO_ROTA)
    except (UsageError, DateError) as error:
        return mistaken(error)


def mistaken(error: UsageError | DateError) -> Outcome:
    """What was wrong with the command, then the usage."""
    return Outcome(f"{error}\n\n{USAGE}")


def show(request: RotaRequest, command: Command) -> Outcome:
    return shown_rota(request, channel_rota(request), command.count)


def who(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    planner = request.planner(rota)
    shown = planner.shown(2)
    current = next((w for w in shown if w.week_start == planner.this_week), None)
    following = next((w for w in shown if w.week_start > planner.this_week), None)
    assert rota.id is not None
    covering = next(
        (
            (c.coverer, c.last_day)
            for c in reversed(
                covers.midweek_covers(
                    session=request.session, rota_id=rota.id, first=planner.this_week
                )
            )
            if c.status == covers.ACCEPTED
            and c.coverer
            and c.first_day <= request.today <= c.last_day
        ),
        None,
    )
    text = who_text(
        current, following, today=request.today, calendar=request.calendar, covering=covering
    )
    return Outcome(
        "Posted in the channel.",
        posts=request.cover_notices(planner),
        in_channel=Post(request.channel_id, text),
    )


def stats(request: RotaRequest, command: Command) -> Outcome:
    if command.words:
        return client_stats(request)
    rota = channel_rota(request)
    assert rota.id is not None
    today, calendar = request.today, request.calendar
    first = calendar.week_start(today - STATS_WINDOW)
    served = store.weeks(session=request.session, rota_id=rota.id, first=first, last=today)
    midweek = [
        DaysCovered(
            c.coverer,
            c.absent,
            sum(
                1
                for d in calendar.working_days_of_week(c.week_start)
                if c.first_day <= d <= c.last_day
            ),
        )
        for c in covers.midweek_covers(
            session=request.session,
            rota_id=rota.id,
            first=first,
            last=today,
        )
        if c.status == covers.ACCEPTED and c.coverer is not None
    ]
    rows = fairness(
        served,
        member_ids(request, rota),
        week_days=lambda monday: len(calendar.working_days_of_week(monday)),
        midweek=midweek,
    )
    return Outcome(
        stats_text([(r.user_id, r.served, r.covers_given, r.covers_taken) for r in rows])
    )


def client_stats(request: RotaRequest) -> Outcome:
    """The per-client figures for the last 4 weeks, up to now."""
    channel_rota(request)
    start = request.now - timedelta(weeks=CLIENT_STATS_WEEKS)
    figures = client_figures(
        request.session, start=start, end=request.now, columns=request.client_columns
    )
    since = timefmt.day(request.calendar.today(start), today=request.today)
    return Outcome(figures_text(figures, title=f"*Per client since {since}* (last 4 weeks)"))


def usage(request: RotaRequest, command: Command) -> Outcome:
    return Outcome(USAGE)


COMMANDS: dict[str, Callable[[RotaRequest, Command], Outcome]] = {
    "show": show,
    "who": who,
    "add": add,
    "remove": remove,
    "swap": swap,
    "away": away,
    "lead": lead,
    "stats": stats,
    "ical": ical,
    "group": group,
    "topic": topic,
    "help": usage,
}
