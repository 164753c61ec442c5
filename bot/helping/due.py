"""The help DMs due at a run of the `commitments` job, with their ledger keys.

* a reminder to both people 15 minutes before accepted help starts (from then until it
  starts, so a run at 09:00 still reminds of help at 09:00);
* to whoever asked, when the person asked has not answered by the end of the next working
  day after the question (17:00, as a due time with no hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.help import HelpView
from bot.helping.booking import views_in
from bot.settings import Settings
from bot.store.help_requests import help_starting_by, unanswered_help
from bot.worktime import WorkCalendar

JOB = "commitments"
REMIND_BEFORE = timedelta(minutes=15)
REMINDER, UNANSWERED = "reminder", "unanswered"


@dataclass(frozen=True)
class HelpDue:
    key: str
    recipient: str
    kind: str
    view: HelpView


def answer_due_by(asked_at: datetime, calendar: WorkCalendar) -> datetime:
    asked_day = calendar.today(asked_at)
    return calendar.due_end_of_day(calendar.next_working_day(asked_day))


def due_help(
    session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> list[HelpDue]:
    found: list[HelpDue] = []
    starting = help_starting_by(session=session, start=now, end=now + REMIND_BEFORE)
    for view in views_in(session, starting, zendesk_url=settings.zendesk_url):
        stamp = view.starts_at.isoformat()
        for person in (view.helper, view.asker):
            key = f"{JOB}:help:{view.request_id}:{stamp}:{person}"
            found.append(HelpDue(key, person, REMINDER, view))
    waiting = [
        r for r in unanswered_help(session=session) if answer_due_by(r.asked_at, calendar) <= now
    ]
    for request, view in zip(
        waiting, views_in(session, waiting, zendesk_url=settings.zendesk_url), strict=True
    ):
        key = f"{JOB}:help-unanswered:{view.request_id}:{request.asked_at.isoformat()}"
        found.append(HelpDue(key, request.other(request.waiting_on), UNANSWERED, view))
    return found
