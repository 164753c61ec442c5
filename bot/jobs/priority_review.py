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
    review_digest_blocks,
    review_digest_text,
)
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing
from bot.jobs.sending import send_digests
from bot.nudges.review import review_lines, review_shortlists
from bot.nudges.routing import lines_by_person, recipients
from bot.settings import Settings
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
    settings: Settings,
) -> Plan:
    review_after_days, zendesk_url = settings.review_after_days, settings.zendesk_url
    found = review_shortlists(
        session, now, review_after_days=review_after_days, limit=MAX_LINES, by_assignee=True
    )
    people = recipients(session, found, calendar=calendar, now=now)
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
    today = calendar.today(now).isoformat()
    messages = [
        Outgoing(
            key=f"{NAME}:{person}:{today}",
            recipient=person,
            text=review_digest_text(lines, total=total),
            blocks=review_digest_blocks(lines, calendar, now=now, total=total),
        )
        for person, lines, total in per_person
    ]
    return Plan(messages=messages, unrouted=unrouted)


def run(ctx: JobContext) -> JobReport:
    return send_digests(ctx, NAME, due)


JOB = Job(
    name=NAME,
    default_schedule="30 9 * * mon-fri",
    description="one DM digest per person of tickets whose priority needs review",
    run=run,
)
