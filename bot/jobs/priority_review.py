"""`priority-review`: one DM digest per person of the tickets whose priority needs a review.

Key `priority-review:<slack user>:<local date>`: one digest per person per working day. A
ticket stays in each day's digest until someone reviews it (DESIGN.md §5), so every line of
a day's first digest is "new"; a person with no such tickets gets nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.blocks.digest import (
    MAX_LINES,
    ReviewLine,
    Total,
    review_digest_blocks,
    review_digest_text,
)
from bot.blocks.kit import ticket_url
from bot.escalation import retry_pending_notes
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.nudges.routing import by_person, recipients
from bot.nudges.rules import review_reason, triage_key
from bot.slack.people import SlackPeople
from bot.store.nudges import Assignee, Shortlist, needing_review, shortlists
from bot.store.tickets import Ticket, organization_names
from bot.tickets.card import refresh_agent_matches
from bot.worktime import WorkCalendar

log = logging.getLogger(__name__)

NAME = "priority-review"
# The job's summary names this many of the tickets nobody can be nudged about, then counts.
UNROUTED_LISTED = 10


@dataclass(frozen=True)
class Plan:
    messages: list[Outgoing]
    unrouted: Shortlist


def review_shortlists(
    session: Session,
    now: datetime,
    *,
    review_after_days: int,
    limit: int,
    by_assignee: bool = False,
    assignees: Collection[Assignee] | None = None,
) -> dict[Assignee, Shortlist]:
    """Open tickets whose priority needs a review, first `limit` in triage order, and counts."""
    selection = needing_review(now=now, review_after_days=review_after_days)
    return shortlists(session, selection, limit=limit, by_assignee=by_assignee, assignees=assignees)


def review_lines(
    session: Session,
    rows: Iterable[tuple[Ticket, Any]],
    now: datetime,
    *,
    review_after_days: int,
    zendesk_url: str | None,
) -> list[ReviewLine]:
    """Tickets (each with when it was last reviewed) as digest lines, with the reason."""
    clients = organization_names(session=session)
    lines = []
    for ticket, reviewed_at in rows:
        reason = review_reason(ticket, reviewed_at, now=now, review_after_days=review_after_days)
        if reason is None:  # the SQL and the rule disagree: show nothing rather than nonsense
            log.error("ticket %s was selected for a review it does not need", ticket.id)
            continue
        lines.append(
            ReviewLine(
                ticket=ticket,
                reason=reason,
                client=clients.get(ticket.organization_id or 0),
                url=ticket_url(zendesk_url, ticket.id),
                last_reviewed=reviewed_at,
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


def before_digests(ctx: JobContext) -> list[str]:
    """What both digest jobs do first (not in a dry run): retry escalation notes Zendesk
    refused, and match agents to Slack people so their tickets reach them."""
    if ctx.dry_run:
        return []
    problems = retry_pending_notes(ctx.services, name_of=SlackPeople(ctx.services.slack).name)
    refresh_agent_matches(ctx.services)
    return problems


def unrouted_note(unrouted: Shortlist) -> str:
    if not unrouted.total:
        return ""
    listed = ", ".join(f"#{ticket.id}" for ticket, _ in unrouted.rows[:UNROUTED_LISTED])
    more = unrouted.total - min(len(unrouted.rows), UNROUTED_LISTED)
    if more > 0:
        listed += f" and {more:,} more"
    return f"; nobody to nudge about {listed} (no assignee in Slack, nobody on support today)"


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="one DM digest per person of tickets whose priority needs review",
    run=run,
)
