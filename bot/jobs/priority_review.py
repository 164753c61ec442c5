"""`priority-review`: one DM digest per person of the tickets whose priority needs a review.

Key `priority-review:<slack user>:<local date>`: one digest per person per working day. A
ticket stays in each day's digest until someone reviews it (DESIGN.md §5), so every line of
a day's first digest is "new"; a person with no such tickets gets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.blocks.digest import (
    MAX_LINES,
    Total,
    review_digest_blocks,
    review_digest_text,
)
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.jobs.sending import before_digests, unrouted_note
from bot.nudges.review import review_lines, review_shortlists
from bot.nudges.routing import by_person, recipients
from bot.store.shortlists import Shortlist, triage_key
from bot.worktime import WorkCalendar

NAME = "priority-review"


@dataclass(frozen=True)
class Plan:
    messages: list[Outgoing]
    unrouted: Shortlist


def due(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    review_after_days: int,
    zendesk_url: str | None,
) -> Plan:
    found = review_shortlists(
        session, now, review_after_days=review_after_days, limit=MAX_LINES, by_assignee=True
    )
    people = recipients(session, found, calendar=calendar, now=now)
    routed, unrouted = by_person(
        people, found, limit=MAX_LINES, order=lambda row: triage_key(row[0])
    )
    today = calendar.today(now).isoformat()
    # Every digest's lines at once: one read of the client names for all of them.
    every = review_lines(
        session,
        (row for shortlist in routed.values() for row in shortlist.rows),
        now,
        review_after_days=review_after_days,
        zendesk_url=zendesk_url,
    )
    by_ticket = {line.ticket.id: line for line in every}
    messages = []
    for person, shortlist in sorted(routed.items()):
        lines = [by_ticket[t.id] for t, _ in shortlist.rows if t.id in by_ticket]
        messages.append(
            Outgoing(
                key=f"{NAME}:{person}:{today}",
                recipient=person,
                text=review_digest_text(lines, total=Total.of(shortlist)),
                blocks=review_digest_blocks(lines, calendar, now=now, total=Total.of(shortlist)),
            )
        )
    return Plan(messages=messages, unrouted=unrouted)


def run(ctx: JobContext) -> JobReport:
    services = ctx.services
    problems = before_digests(ctx)
    with services.session() as session:
        plan = due(
            session,
            ctx.now,
            calendar=services.calendar,
            review_after_days=services.settings.review_after_days,
            zendesk_url=services.settings.zendesk_url,
        )
    report = deliver(ctx, NAME, plan.messages)
    report.problems += problems
    report.summary += unrouted_note(plan.unrouted)
    return report


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="one DM digest per person of tickets whose priority needs review",
    run=run,
)
