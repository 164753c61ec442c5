"""`priority-review`: the morning briefing, one DM per person: the tickets whose priority needs
a review, then the clients waiting on us (the `client-waiting` list of the morning).

Key `priority-review:<slack user>:<local date>`: one briefing per person per working day. A
ticket stays in each day's review list until someone reviews it (DESIGN.md §5). The waiting
tickets a sent briefing lists count as that day's client-waiting nudges (recorded under the
`client-waiting` job), so the afternoon `client-waiting` run carries only the others and the
newly waiting. An empty list is left out; a person with neither gets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from bot.blocks.digest import (
    MAX_LINES,
    ReviewLine,
    Total,
    WaitingLine,
    briefing_blocks,
    briefing_split,
    briefing_text,
)
from bot.jobs import client_waiting
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing
from bot.jobs.sending import send_digests
from bot.nudges.review import review_lines, review_shortlists
from bot.nudges.routing import lines_by_person, recipients
from bot.settings import Settings
from bot.store.digest_lines import replace_digest_lines
from bot.store.shortlists import Shortlist, triage_key
from bot.worktime import WorkCalendar

NAME = "priority-review"


@dataclass(frozen=True)
class Briefing:
    message: Outgoing
    # The waiting tickets it lists: they count as nudged once it is sent.
    waiting: list[WaitingLine]


@dataclass
class Plan:
    day: date
    briefings: list[Briefing] = field(default_factory=list)
    unrouted: Shortlist = field(default_factory=Shortlist)

    @property
    def messages(self) -> list[Outgoing]:
        return [briefing.message for briefing in self.briefings]


def due(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    settings: Settings,
) -> Plan:
    review_after_days, zendesk_url = settings.review_after_days, settings.zendesk_url
    found = review_shortlists(
        session, now, review_after_days=review_after_days, limit=MAX_LINES, by_assignee=True
    )
    people = recipients(
        session, found, calendar=calendar, now=now, handed_on_tag=settings.chargeable_tag
    )
    per_person, unrouted = lines_by_person(
        people,
        found,
        limit=MAX_LINES,
        order=lambda row: triage_key(row[0]),
        lines_of=lambda rows: review_lines(
            session,
            rows,
            now,
            review_after_days=review_after_days,
            zendesk_url=zendesk_url,
            authorised_tag=settings.authorised_tag,
        ),
    )
    # The channel hears of long waits from the client-waiting job, not from the briefing.
    waiting = client_waiting.waiting_now(
        session, now, calendar=calendar, settings=settings, still_waiting=False
    )
    reviews: dict[str, tuple[list[ReviewLine], Total]] = {
        person: (lines, total) for person, lines, total in per_person if lines
    }
    waits: dict[str, tuple[list[WaitingLine], Total]] = {
        person: (lines, total) for person, lines, total in waiting.per_person
    }
    today = calendar.today(now)
    plan = Plan(day=today)
    for person in sorted(set(reviews) | set(waits)):
        review, review_total = reviews.get(person, ([], Total(0)))
        waits_of, waiting_total = waits.get(person, ([], Total(0)))
        shown_review, shown_waiting = briefing_split(len(review), len(waits_of))
        review, waits_of = review[:shown_review], waits_of[:shown_waiting]
        message = Outgoing(
            key=f"{NAME}:{person}:{today.isoformat()}",
            recipient=person,
            text=briefing_text(review, waits_of, review_total, waiting_total),
            blocks=briefing_blocks(
                review,
                waits_of,
                calendar,
                now=now,
                review_total=review_total,
                waiting_total=waiting_total,
            ),
        )
        plan.briefings.append(Briefing(message=message, waiting=waits_of))
    plan.unrouted = either(unrouted, waiting.unrouted)
    return plan


def either(first: Shortlist, second: Shortlist) -> Shortlist:
    """The tickets on either list, each once; its total is a floor when the lists overlap."""
    seen = {ticket.id for ticket, _ in first.rows}
    rows = first.rows + [row for row in second.rows if row[0].id not in seen]
    total = max(first.total, second.total, len(rows))
    overlap = total < first.total + second.total
    return Shortlist(
        rows=rows, total=total, more_than=first.more_than or second.more_than or overlap
    )


def record_lines(session: Session, plan: Plan) -> None:
    """The waiting lines count as nudged only once their briefing is marked sent."""
    for briefing in plan.briefings:
        replace_digest_lines(
            session=session,
            job=client_waiting.NAME,
            message_key=briefing.message.key,
            recipient=briefing.message.recipient,
            day=plan.day,
            lines=[(line.ticket.id, line.waiting.since) for line in briefing.waiting],
        )


def run(ctx: JobContext) -> JobReport:
    return send_digests(ctx, NAME, due, record=record_lines)


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="the morning briefing: one DM per person, priorities to review and clients waiting",
    run=run,
)
