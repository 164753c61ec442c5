"""`handover`: on the last working day of a rota week, DMs to the outgoing and incoming person.

Due from midday on that day (the schedule picks the moment, 15:00 by default); a run missed
then is healed on the first working day of the new week. Nobody away is sent one: the
outgoing person gets theirs on their first working day back (the 09:00 run), and the incoming
one, once the new week has started, goes to whoever is on support that day (they themselves
when back, or the person covering) unless that week's incoming DM was already sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot.agents import refresh_agent_matches
from bot.blocks.handover import (
    Handover,
    incoming_blocks,
    incoming_text,
    outgoing_blocks,
    outgoing_text,
)
from bot.blocks.kit import Block
from bot.helping.booking import booked_views_in
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing
from bot.jobs.sending import send_due
from bot.rota.planner import on_support, on_support_at
from bot.settings import Settings
from bot.store import rota as rota_store
from bot.store.nudge_ledger import sent_with_prefix
from bot.store.promises import open_promises_of
from bot.store.reports import all_rotas, handover_tickets, zendesk_ids_of
from bot.store.rota import Rota
from bot.worktime import WorkCalendar

NAME = "handover"
DUE_FROM = time(12, 0)
# A handover owed to someone away is still given when they are back within this many weeks.
LOOKBACK_WEEKS = 4

# Each side's message: its text and its blocks.
Side = tuple[Callable[[Handover], str], Callable[[Handover], list[Block]]]
OUTGOING: Side = (outgoing_text, outgoing_blocks)
INCOMING: Side = (incoming_text, incoming_blocks)


def ending_week(now: datetime, calendar: WorkCalendar) -> date | None:
    """The Monday of the week being handed over at `now`, if a handover is due."""
    today = calendar.today(now)
    monday = calendar.week_start(today)
    local = calendar.local(now)
    if calendar.last_working_day_of_week(monday) == today and local.time() >= DUE_FROM:
        return monday
    if calendar.first_working_day_of_week(monday) == today:
        return monday - timedelta(days=7)
    return None


def handover_weeks(now: datetime, calendar: WorkCalendar) -> list[date]:
    """The Mondays of the weeks whose handover moment has come by `now`, newest first."""
    monday = calendar.week_start(calendar.today(now))
    weeks = []
    for back in range(LOOKBACK_WEEKS + 1):
        week = monday - timedelta(days=7 * back)
        last = calendar.last_working_day_of_week(week)
        if last is not None and calendar.at(last, DUE_FROM) <= now:
            weeks.append(week)
    return weeks


def first_day_back(
    session: Session, calendar: WorkCalendar, person: str, handover_day: date, today: date
) -> bool:
    """Whether `person` was away on the handover day and every working day since, until today."""
    away: set[date] = set()
    for absence in rota_store.absences(
        session=session, user_ids=[person], first=handover_day, last=today
    ):
        first, last = max(absence.first_day, handover_day), min(absence.last_day, today)
        away |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    if handover_day not in away or today in away:
        return False
    day = calendar.next_working_day(handover_day)
    while day < today:
        if day not in away:
            return False
        day = calendar.next_working_day(day)
    return True


def held_back(session: Session, rota_id: int, handover_day: date) -> bool:
    """Whether a member of the rota was away on the handover day (so a DM may be owed)."""
    people = [member.user_id for member in rota_store.members(session=session, rota_id=rota_id)]
    return bool(
        rota_store.absences(session=session, user_ids=people, first=handover_day, last=handover_day)
    )


def due(
    session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> list[Outgoing]:
    on_time = ending_week(now, calendar)
    today = calendar.today(now)
    messages: list[Outgoing] = []
    for ending in handover_weeks(now, calendar):
        for rota in all_rotas(session=session):
            messages += _rota_due(
                session,
                now,
                rota,
                ending,
                on_time=ending == on_time,
                calendar=calendar,
                settings=settings,
                today=today,
            )
    return messages


def _rota_due(
    session: Session,
    now: datetime,
    rota: Rota,
    ending: date,
    *,
    on_time: bool,
    calendar: WorkCalendar,
    settings: Settings,
    today: date,
) -> list[Outgoing]:
    """The handover DMs of one rota's week owed now: on time, or to someone back today."""
    assert rota.id is not None
    starting = ending + timedelta(days=7)
    handover_day = calendar.last_working_day_of_week(ending) or ending
    first_day = calendar.first_working_day_of_week(starting) or starting
    # Whoever covers the end of a split week hands over, not the person it was planned for.
    outgoing = on_support(session=session, calendar=calendar, rota_id=rota.id, day=handover_day)
    incoming = on_support(session=session, calendar=calendar, rota_id=rota.id, day=first_day)
    key = f"{NAME}:{rota.id}:{starting.isoformat()}"
    sides: list[tuple[str, str, Side]] = []
    if outgoing is not None and outgoing != incoming:
        was_away = rota_store.is_away(session=session, user_id=outgoing, day=handover_day)
        back = was_away and first_day_back(session, calendar, outgoing, handover_day, today)
        if (on_time and not was_away) or back:
            sides.append(("out", outgoing, OUTGOING))
    if incoming is not None:
        recipient: str | None = incoming
        if today >= first_day:
            # The week has started: whoever is on support today needs it, once per week (an
            # incoming person away on the handover day gets it on their first day back).
            recipient = on_support_at(session=session, calendar=calendar, rota_id=rota.id, now=now)
            owed = on_time or (
                outgoing is not None
                and today < starting + timedelta(days=7)
                and held_back(session, rota.id, handover_day)
            )
            if not owed or sent_with_prefix(session=session, prefix=f"{key}:in:"):
                recipient = None
        if recipient is not None:
            sides.append(("in", recipient, INCOMING))
    sides = [
        side
        for side in sides
        if not rota_store.is_away(session=session, user_id=side[1], day=today)
    ]
    if not sides:
        return []
    holder = outgoing or incoming
    assert holder is not None
    handover = Handover(
        channel_id=rota.channel_id,
        ending_week=ending,
        starting_week=starting,
        outgoing=outgoing,
        incoming=incoming,
        lead=rota.default_lead,
        tickets=handover_tickets(
            session=session, assignee_ids=zendesk_ids_of(session=session, slack_user_id=holder)
        ),
        today=today,
        zendesk_url=settings.zendesk_url,
        promises=open_promises_of(session=session, owner=outgoing) if outgoing else [],
        calendar=calendar,
        help_booked=booked_views_in(
            session,
            [person for person in (outgoing, incoming) if person],
            now,
            zendesk_url=settings.zendesk_url,
        ),
        now=now,
    )
    return [
        Outgoing(
            key=f"{key}:{side}:{recipient}",
            recipient=recipient,
            text=text_of(handover),
            blocks=blocks_of(handover),
        )
        for side, recipient, (text_of, blocks_of) in sides
    ]


def run(ctx: JobContext) -> JobReport:
    services = ctx.services
    with services.session() as session:
        owed = due(session, ctx.now, calendar=services.calendar, settings=services.settings)
    if not owed:
        return JobReport(summary="no handover is due now")
    if not ctx.dry_run:
        refresh_agent_matches(services)  # then read again: the lists name matched agents' tickets
    return send_due(ctx, NAME, due)


JOB = Job(
    name=NAME,
    # 15:00 for the week's handover; 09:00 for people back from an absence.
    default_schedule="0 9,15 * * mon-fri",
    description="handover DMs to the outgoing and incoming person on a week's last working day",
    run=run,
)
