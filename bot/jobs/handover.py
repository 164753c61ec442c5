"""`handover`: on the last working day of a rota week, DMs to the outgoing and incoming person.

Due from midday on that day (the schedule picks the moment, 15:00 by default); a run missed
then is healed on the first working day of the new week.
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
from bot.rota.planner import on_support
from bot.settings import Settings
from bot.store import rota as rota_store
from bot.store.promises import open_promises_of
from bot.store.reports import all_rotas, handover_tickets, zendesk_ids_of
from bot.worktime import WorkCalendar

NAME = "handover"
DUE_FROM = time(12, 0)

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


def due(
    session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> list[Outgoing]:
    ending = ending_week(now, calendar)
    if ending is None:
        return []
    starting = ending + timedelta(days=7)
    today = calendar.today(now)
    messages: list[Outgoing] = []
    for rota in all_rotas(session=session):
        assert rota.id is not None
        outgoing = on_support(session=session, calendar=calendar, rota_id=rota.id, day=ending)
        incoming = on_support(session=session, calendar=calendar, rota_id=rota.id, day=starting)
        if outgoing is None and incoming is None:
            continue
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
        key = f"{NAME}:{rota.id}:{starting.isoformat()}"
        first_day = calendar.first_working_day_of_week(starting) or starting
        sides: list[tuple[str, str, Side]] = []
        if (
            outgoing is not None
            and outgoing != incoming
            and not rota_store.is_away(session=session, user_id=outgoing, day=today)
        ):
            sides.append(("out", outgoing, OUTGOING))
        if incoming is not None and not rota_store.is_away(
            session=session, user_id=incoming, day=first_day
        ):
            sides.append(("in", incoming, INCOMING))
        messages += [
            Outgoing(
                key=f"{key}:{side}:{person}",
                recipient=person,
                text=text_of(handover),
                blocks=blocks_of(handover),
            )
            for side, person, (text_of, blocks_of) in sides
        ]
    return messages


def run(ctx: JobContext) -> JobReport:
    services = ctx.services
    if ending_week(ctx.now, services.calendar) is None:
        return JobReport(summary="no handover is due now")
    if not ctx.dry_run:
        refresh_agent_matches(services)
    return send_due(ctx, NAME, due)


JOB = Job(
    name=NAME,
    default_schedule="0 15 * * mon-fri",
    description="handover DMs to the outgoing and incoming person on a week's last working day",
    run=run,
)
