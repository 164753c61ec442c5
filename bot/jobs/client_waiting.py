"""`client-waiting`: one DM digest per person of the tickets whose client waits on us too long.

A ticket is nudged at most once a working day: a digest carries only tickets no sent digest
(nor the morning briefing, which the `priority-review` job sends) carried today, and is sent
only when it has at least one. Its key names the person, the day
and the tickets (`client-waiting:<user>:<date>:<hash>`), so a rerun sends nothing twice and a
failed send is retried with whatever is still due. When a waiting spell has been nudged on two
earlier working days and the client still waits, the rota channel is told once
(`client-waiting:channel:<ticket>:<waiting since>`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.blocks.digest import (
    MAX_LINES,
    Total,
    WaitingLine,
    channel_waiting_blocks,
    channel_waiting_text,
    waiting_digest_blocks,
    waiting_digest_text,
)
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing
from bot.jobs.sending import send_digests
from bot.nudges.routing import Recipients, lines_by_person, recipients
from bot.nudges.waiting import (
    most_waiting_first,
    still_waiting_lines,
    waiting_lines,
    waiting_shortlists,
)
from bot.settings import Settings
from bot.store.digest_lines import record_digest_lines
from bot.store.shortlists import Shortlist
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
    unrouted: Shortlist = field(default_factory=Shortlist)

    @property
    def messages(self) -> list[Outgoing]:
        return [digest.message for digest in self.digests] + self.channel


def digest_key(person: str, day: date, ticket_ids: list[int]) -> str:
    tickets = hashlib.sha1(",".join(map(str, sorted(ticket_ids))).encode()).hexdigest()[:12]
    return f"{NAME}:{person}:{day.isoformat()}:{tickets}"


@dataclass
class Waiting:
    """Each person's waiting tickets no digest carried today (first MAX_LINES, with their
    total), the tickets nobody can be nudged about, and who gets what."""

    per_person: list[tuple[str, list[WaitingLine], Total]]
    unrouted: Shortlist
    people: Recipients
    still_waiting: list[WaitingLine]


def waiting_now(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    settings: Settings,
    still_waiting: bool = True,
) -> Waiting:
    """What is waiting now; with `still_waiting`, also the tickets the channel should hear of."""
    today = calendar.today(now)
    rule: dict[str, Any] = {
        "calendar": calendar,
        "waiting_hours": settings.client_waiting_hours,
        "no_reply_days": settings.no_reply_days,
    }
    # Only tickets no digest carried today: each is nudged at most once a working day.
    found = waiting_shortlists(
        session, now, **rule, limit=MAX_LINES, by_assignee=True, not_nudged=(NAME, today)
    )
    zendesk_url = settings.zendesk_url
    channel = (
        still_waiting_lines(
            session,
            now,
            today,
            job=NAME,
            days=CHANNEL_AFTER_DAYS,
            **rule,
            zendesk_url=zendesk_url,
            authorised_tag=settings.authorised_tag,
        )
        if still_waiting
        else []
    )
    assignees = set(found) | {line.ticket.assignee_id for line in channel}
    people = recipients(
        session, assignees, calendar=calendar, now=now, handed_on_tag=settings.chargeable_tag
    )
    per_person, unrouted = lines_by_person(
        people,
        found,
        limit=MAX_LINES,
        order=most_waiting_first,
        lines_of=lambda rows: waiting_lines(
            session,
            rows,
            now,
            **rule,
            zendesk_url=zendesk_url,
            authorised_tag=settings.authorised_tag,
        ),
    )
    return Waiting(
        per_person=[(person, fresh, total) for person, fresh, total in per_person if fresh],
        unrouted=unrouted,
        people=people,
        still_waiting=channel,
    )


def due(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    settings: Settings,
) -> Plan:
    today = calendar.today(now)
    plan = Plan(day=today)
    waiting = waiting_now(session, now, calendar=calendar, settings=settings)
    for person, fresh, total in waiting.per_person:
        plan.digests.append(
            DigestPlan(
                message=Outgoing(
                    key=digest_key(person, today, [line.ticket.id for line in fresh]),
                    recipient=person,
                    text=waiting_digest_text(fresh, total=total),
                    blocks=waiting_digest_blocks(fresh, calendar, now=now, total=total),
                ),
                lines=fresh,
            )
        )
    plan.unrouted = waiting.unrouted
    people = waiting.people
    if people.rota is not None:
        for line in waiting.still_waiting:
            nudged = people.person_of.get(line.ticket.assignee_id)
            plan.channel.append(
                Outgoing(
                    key=f"{NAME}:channel:{line.ticket.id}:{line.waiting.since.isoformat()}",
                    recipient=people.rota.channel_id,
                    text=channel_waiting_text(line, nudged),
                    blocks=channel_waiting_blocks(line, nudged, calendar, now=now),
                )
            )
    return plan


def record_lines(session: Session, plan: Plan) -> None:
    """The lines count as nudged only once their digest's ledger entry is marked sent."""
    for digest in plan.digests:
        record_digest_lines(
            session=session,
            job=NAME,
            message_key=digest.message.key,
            recipient=digest.message.recipient,
            day=plan.day,
            lines=[(line.ticket.id, line.waiting.since) for line in digest.lines],
        )


def run(ctx: JobContext) -> JobReport:
    return send_digests(ctx, NAME, due, record=record_lines)


JOB = Job(
    name=NAME,
    # Mornings, the waiting list is part of the priority-review briefing (09:30).
    default_schedule="0 14 * * mon-fri",
    description="one DM digest per person of tickets where the client waits on us too long",
    run=run,
)
