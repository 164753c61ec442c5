"""`client-waiting`: one DM digest per person of the tickets whose client waits on us too long.

A ticket is nudged at most once a working day: a digest carries only tickets no sent digest
carried today, and is sent only when it has at least one. Its key names the person, the day
and the tickets (`client-waiting:<user>:<date>:<hash>`), so a rerun sends nothing twice and a
failed send is retried with whatever is still due. When a waiting spell has been nudged on two
earlier working days and the client still waits, the rota channel is told once
(`client-waiting:channel:<ticket>:<waiting since>`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from bot.blocks.digest import (
    WaitingLine,
    channel_waiting_blocks,
    channel_waiting_text,
    waiting_digest_blocks,
    waiting_digest_text,
)
from bot.blocks.kit import ticket_url
from bot.digests import route
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.jobs.priority_review import before_digests, unrouted_note
from bot.rules import client_waiting
from bot.store.digests import nudge_days, record_digest_lines, tickets_nudged_on
from bot.store.tickets import open_tickets, organization_names
from bot.worktime import WorkCalendar

NAME = "client-waiting"
# Nudged on this many earlier working days and still waiting: the rota channel is told.
CHANNEL_AFTER_DAYS = 2


@dataclass(frozen=True)
class DigestPlan:
    message: Outgoing
    lines: list[WaitingLine]


@dataclass
class Plan:
    day: date
    digests: list[DigestPlan] = field(default_factory=list)
    channel: list[Outgoing] = field(default_factory=list)
    unrouted: list[int] = field(default_factory=list)

    @property
    def messages(self) -> list[Outgoing]:
        return [digest.message for digest in self.digests] + self.channel


def digest_key(person: str, day: date, ticket_ids: list[int]) -> str:
    tickets = hashlib.sha1(",".join(map(str, sorted(ticket_ids))).encode()).hexdigest()[:12]
    return f"{NAME}:{person}:{day.isoformat()}:{tickets}"


def waiting_lines(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    zendesk_url: str | None,
) -> list[WaitingLine]:
    """Every ticket whose client waits on us too long, most waiting first (also for App Home)."""
    lines = []
    clients = organization_names(session=session)
    for ticket in open_tickets(session=session):
        found = client_waiting(
            ticket,
            now=now,
            calendar=calendar,
            waiting_hours=waiting_hours,
            no_reply_days=no_reply_days,
        )
        if found is not None:
            lines.append(
                WaitingLine(
                    ticket=ticket,
                    waiting=found,
                    client=clients.get(ticket.organization_id or 0),
                    url=ticket_url(zendesk_url, ticket.id),
                )
            )
    return sorted(lines, key=lambda line: (-line.waiting.hours, line.ticket.id))


def due(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    zendesk_url: str | None,
) -> Plan:
    today = calendar.today(now)
    plan = Plan(day=today)
    waiting = {
        line.ticket.id: line
        for line in waiting_lines(
            session,
            now,
            calendar=calendar,
            waiting_hours=waiting_hours,
            no_reply_days=no_reply_days,
            zendesk_url=zendesk_url,
        )
    }
    routing = route(session, (line.ticket for line in waiting.values()), calendar=calendar, now=now)
    nudged_today = tickets_nudged_on(session=session, job=NAME, day=today)
    holder: dict[int, str] = {}
    for person, tickets in sorted(routing.by_person.items()):
        holder.update((ticket.id, person) for ticket in tickets)
        fresh = [waiting[ticket.id] for ticket in tickets if ticket.id not in nudged_today]
        if not fresh:
            continue
        plan.digests.append(
            DigestPlan(
                message=Outgoing(
                    key=digest_key(person, today, [line.ticket.id for line in fresh]),
                    recipient=person,
                    text=waiting_digest_text(fresh),
                    blocks=waiting_digest_blocks(fresh, calendar, now=now),
                ),
                lines=fresh,
            )
        )
    plan.unrouted = [ticket.id for ticket in routing.unrouted]
    if routing.rota is not None:
        days = nudge_days(session=session, job=NAME, ticket_ids=list(waiting))
        for line in waiting.values():
            earlier = {
                d for d in days.get((line.ticket.id, line.waiting.since), set()) if d < today
            }
            if len(earlier) >= CHANNEL_AFTER_DAYS:
                nudged = holder.get(line.ticket.id)
                plan.channel.append(
                    Outgoing(
                        key=f"{NAME}:channel:{line.ticket.id}:{line.waiting.since.isoformat()}",
                        recipient=routing.rota.channel_id,
                        text=channel_waiting_text(line, nudged),
                        blocks=channel_waiting_blocks(line, nudged, calendar, now=now),
                    )
                )
    return plan


def run(ctx: JobContext) -> JobReport:
    services = ctx.services
    problems = before_digests(ctx)
    with services.session() as session:
        plan = due(
            session,
            ctx.now,
            calendar=services.calendar,
            waiting_hours=services.settings.client_waiting_hours,
            no_reply_days=services.settings.no_reply_days,
            zendesk_url=services.settings.zendesk_url,
        )
    if not ctx.dry_run:
        # The lines count as nudged only once their digest's ledger entry is marked sent.
        with services.session() as session:
            for digest in plan.digests:
                record_digest_lines(
                    session=session,
                    job=NAME,
                    message_key=digest.message.key,
                    recipient=digest.message.recipient,
                    day=plan.day,
                    lines=[(line.ticket.id, line.waiting.since) for line in digest.lines],
                )
    report = deliver(ctx, NAME, plan.messages)
    report.problems += problems
    report.summary += unrouted_note(plan.unrouted)
    return report


JOB = Job(
    name=NAME,
    default_schedule="0 10,14 * * mon-fri",
    description="one DM digest per person of tickets where the client waits on us too long",
    run=run,
)
