"""`priority-review`: one DM digest per person of the tickets whose priority needs a review.

Key `priority-review:<slack user>:<local date>`: one digest per person per working day. A
ticket stays in each day's digest until someone reviews it (DESIGN.md §5), so every line of
a day's first digest is "new"; a person with no such tickets gets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.blocks.digest import ReviewLine, review_digest_blocks, review_digest_text
from bot.blocks.kit import ticket_url
from bot.digests import route
from bot.escalation import retry_pending_notes
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.rules import needs_priority_review, triage_key
from bot.store.tickets import latest_reviews_of_open_tickets, open_tickets, organization_names
from bot.tickets import refresh_agent_matches
from bot.worktime import WorkCalendar

NAME = "priority-review"


@dataclass(frozen=True)
class Plan:
    messages: list[Outgoing]
    unrouted: list[int]


def review_lines(
    session: Session, now: datetime, *, review_after_days: int, zendesk_url: str | None
) -> list[ReviewLine]:
    """Every open ticket whose priority needs a review, in triage order (also for App Home)."""
    lines = []
    reviews = latest_reviews_of_open_tickets(session=session)
    clients = organization_names(session=session)
    for ticket in sorted(open_tickets(session=session), key=triage_key):
        review = reviews.get(ticket.id)
        reason = needs_priority_review(ticket, review, now=now, review_after_days=review_after_days)
        if reason is not None:
            lines.append(
                ReviewLine(
                    ticket=ticket,
                    reason=reason,
                    client=clients.get(ticket.organization_id or 0),
                    url=ticket_url(zendesk_url, ticket.id),
                    last_reviewed=None if review is None else review.reviewed_at,
                )
            )
    return lines


def due(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    review_after_days: int,
    zendesk_url: str | None,
) -> Plan:
    lines = {
        line.ticket.id: line
        for line in review_lines(
            session, now, review_after_days=review_after_days, zendesk_url=zendesk_url
        )
    }
    routing = route(session, (line.ticket for line in lines.values()), calendar=calendar, now=now)
    today = calendar.today(now).isoformat()
    messages = []
    for person, tickets in sorted(routing.by_person.items()):
        ordered = [lines[ticket.id] for ticket in tickets]
        messages.append(
            Outgoing(
                key=f"{NAME}:{person}:{today}",
                recipient=person,
                text=review_digest_text(ordered),
                blocks=review_digest_blocks(ordered, calendar, now=now),
            )
        )
    return Plan(messages=messages, unrouted=[ticket.id for ticket in routing.unrouted])


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


def before_digests(ctx: JobContext) -> list[str]:
    """What both digest jobs do first (not in a dry run): retry escalation notes Zendesk
    refused, and match agents to Slack people so their tickets reach them."""
    if ctx.dry_run:
        return []
    problems = retry_pending_notes(ctx.services)
    refresh_agent_matches(ctx.services)
    return problems


def unrouted_note(ticket_ids: list[int]) -> str:
    if not ticket_ids:
        return ""
    listed = ", ".join(f"#{ticket_id}" for ticket_id in ticket_ids)
    return f"; nobody to nudge about {listed} (no assignee in Slack, nobody on support today)"


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="one DM digest per person of tickets whose priority needs review",
    run=run,
)
