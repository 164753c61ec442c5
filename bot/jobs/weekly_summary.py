"""`weekly-summary`: on the first working day of a rota week, the summary post in its channel.

Due from the start of that day (09:30 by default; the Tuesday after a bank-holiday Monday)
until the week ends, so a missed run posts at the next one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot.blocks.handover import MAX_LINES, Summary, summary_blocks, summary_text
from bot.escalation import with_links
from bot.figures import client_columns, client_figures
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing
from bot.jobs.sending import send_due
from bot.nudges.overview import team_nudges
from bot.rota.planner import on_support
from bot.settings import Settings
from bot.store import rota as rota_store
from bot.store.escalations import escalations_between
from bot.store.nudge_ledger import sent_keys
from bot.store.promises import count_open_promises, open_promises
from bot.store.reports import (
    all_rotas,
    audit_count,
    open_counts_by_priority,
    open_urgent_and_high,
    opened_between,
    solved_between,
)
from bot.tickets.flags import open_tickets_not_authorised
from bot.worktime import WorkCalendar

NAME = "weekly-summary"


def due(
    session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> list[Outgoing]:
    today = calendar.today(now)
    week = calendar.week_start(today)
    first_day = calendar.first_working_day_of_week(week)
    if first_day is None or today < first_day:
        return []
    every_rota = all_rotas(session=session)
    keys = {rota.id: f"{NAME}:{rota.id}:{week.isoformat()}" for rota in every_rota}
    already = sent_keys(session=session, keys=list(keys.values()))
    # Due every working day of the week until sent: skip the work once it has been.
    rotas = [rota for rota in every_rota if keys[rota.id] not in already]
    if not rotas:
        return []
    last_week_start = calendar.at(week - timedelta(days=7), time(0))
    this_week_start = calendar.at(week, time(0))
    counts = open_counts_by_priority(session=session)
    urgent_and_high = open_urgent_and_high(session=session)
    nudges = team_nudges(session, now=now, calendar=calendar, settings=settings)
    escalations = with_links(
        session,
        escalations_between(session=session, start=last_week_start, end=this_week_start),
        zendesk_url=settings.zendesk_url,
    )
    opened = opened_between(session=session, start=last_week_start, end=this_week_start)
    solved = solved_between(session=session, start=last_week_start, end=this_week_start)
    promises = open_promises(session=session, limit=MAX_LINES)
    promises_total = count_open_promises(session=session)
    figures = client_figures(
        session,
        start=last_week_start,
        end=this_week_start,
        columns=client_columns(settings, calendar),
    )
    # One more than the summary shows, to tell whether there are more.
    not_authorised = open_tickets_not_authorised(
        session, authorised_tag=settings.authorised_tag, since=last_week_start, limit=MAX_LINES + 1
    )
    messages = []
    for rota in rotas:
        assert rota.id is not None
        previous = rota_store.weeks(
            session=session,
            rota_id=rota.id,
            first=week - timedelta(days=7),
            last=week - timedelta(days=7),
        )
        covered = next(
            ((w.user_id, w.partner) for w in previous if w.kind == rota_store.COVER and w.partner),
            None,
        )
        summary = Summary(
            channel_id=rota.channel_id,
            week=week,
            today=today,
            now=now,
            calendar=calendar,
            zendesk_url=settings.zendesk_url,
            on_support=on_support(session=session, calendar=calendar, rota_id=rota.id, day=today),
            next_on_support=on_support(
                session=session, calendar=calendar, rota_id=rota.id, day=week + timedelta(days=7)
            ),
            counts=counts,
            urgent_and_high=urgent_and_high,
            waiting=nudges.waiting,
            waiting_total=nudges.waiting_total,
            review=nudges.review,
            review_total=nudges.review_total,
            escalations=escalations,
            opened_last_week=opened,
            solved_last_week=solved,
            swaps_last_week=audit_count(
                session=session,
                scope=rota.channel_id,
                action="rota.swap.accepted",
                start=last_week_start,
                end=this_week_start,
            ),
            covered_last_week=covered,
            open_promises=promises,
            open_promises_total=promises_total,
            not_authorised=not_authorised,
            client_figures=figures,
        )
        messages.append(
            Outgoing(
                key=keys[rota.id],
                recipient=rota.channel_id,
                text=summary_text(summary),
                blocks=summary_blocks(summary),
            )
        )
    return messages


def run(ctx: JobContext) -> JobReport:
    return send_due(ctx, NAME, due)


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="the handover summary post in each rota channel, first working day of the week",
    run=run,
)
