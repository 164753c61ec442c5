"""Starting, pausing, extending and ending time-boxes, and the working hours they hold.

One time-box runs per person: starting another pauses the first (it resumes when they
press *I'm on it* on that ticket again). Only working time counts (bot.worktime).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.blocks.escalation import ticket_link
from bot.blocks.kit import ticket_url
from bot.services import Services
from bot.store.reports import client_name
from bot.store.tickets import OPEN_STATUSES, Ticket, tickets_by_ids
from bot.store.timeboxes import (
    ENDED,
    PAUSED,
    RUNNING,
    SOLVED,
    STOPPED,
    Timebox,
    close_spans,
    open_span,
    open_timebox_on,
    running_timebox,
    spans_of,
    timebox_by_id,
    unended_timeboxes,
)
from bot.tickets.refresh import mirrored_or_fetched
from bot.timeboxes.hours import worked_hours
from bot.worktime import WorkCalendar


class TicketClosed(Exception):
    """A time-box on a solved or closed ticket would time nothing."""

    def __init__(self, ticket_id: int, status: str) -> None:
        super().__init__(f"ticket {ticket_id} is {status}")
        self.ticket_id, self.status = ticket_id, status


class NotYours(Exception):
    """Someone pressed a button of another person's time-box."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"the time-box is {owner}'s")
        self.owner = owner


@dataclass(frozen=True)
class Timed:
    """A time-box and the working hours it holds now."""

    timebox: Timebox
    worked: float


@dataclass(frozen=True)
class Started:
    started: Timed
    ticket: Ticket
    # Nothing new: this time-box was running already.
    already: bool = False
    resumed: bool = False
    # The time-box paused to start this one.
    paused: Timed | None = None


def _timed(session: Session, box: Timebox, calendar: WorkCalendar, now: datetime) -> Timed:
    assert box.id is not None
    spans = spans_of(session=session, timebox_ids=[box.id])[box.id]
    session.expunge(box)
    return Timed(box, worked_hours(spans, calendar, now))


def start_timebox(services: Services, *, user: str, ticket_id: int) -> Started:
    """Raises TicketClosed, or ZendeskError when the ticket cannot be read."""
    ticket = mirrored_or_fetched(services, ticket_id)
    if ticket.status not in OPEN_STATUSES:
        raise TicketClosed(ticket_id, ticket.status)
    now, calendar = services.now(), services.calendar
    with services.session() as session:
        running = running_timebox(session=session, user_id=user, for_update=True)
        if running is not None and running.ticket_id == ticket_id:
            return Started(_timed(session, running, calendar, now), ticket, already=True)
        paused = None
        if running is not None:
            assert running.id is not None
            close_spans(session=session, timebox_id=running.id, now=now)
            running.state = PAUSED
            session.add(running)
            session.flush()
            paused = _timed(session, running, calendar, now)
        box = open_timebox_on(session=session, user_id=user, ticket_id=ticket_id)
        resumed = box is not None
        if box is None:
            box = Timebox(
                user_id=user,
                ticket_id=ticket_id,
                started_at=now,
                limit_hours=float(services.settings.timebox_hours),
            )
        box.state = RUNNING
        session.add(box)
        session.flush()
        assert box.id is not None
        open_span(session=session, timebox_id=box.id, now=now)
        session.flush()
        return Started(_timed(session, box, calendar, now), ticket, resumed=resumed, paused=paused)


def _owned(session: Session, timebox_id: int, user: str) -> Timebox | None:
    box = timebox_by_id(session=session, timebox_id=timebox_id, for_update=True)
    if box is not None and box.user_id != user:
        raise NotYours(box.user_id)
    return box


def stop_timebox(services: Services, timebox_id: int, *, user: str) -> Timed | None:
    """*Stop*: the time-box ends (again, harmlessly); None when there is no such time-box."""
    now = services.now()
    with services.session() as session:
        box = _owned(session, timebox_id, user)
        if box is None:
            return None
        if box.state != ENDED:
            close_spans(session=session, timebox_id=timebox_id, now=now)
            box.state, box.ended_at, box.end_reason = ENDED, now, STOPPED
            session.add(box)
            session.flush()
        return _timed(session, box, services.calendar, now)


def one_more_hour(services: Services, timebox_id: int, *, user: str) -> Timed | None:
    """*One more hour*: the next DM comes one working hour from now (None: no such box)."""
    now = services.now()
    with services.session() as session:
        box = _owned(session, timebox_id, user)
        if box is None:
            return None
        timed = _timed(session, box, services.calendar, now)
        if box.state != ENDED:
            box = session.merge(box)
            box.limit_hours = max(box.limit_hours, timed.worked) + 1
            session.add(box)
            session.flush()
            timed = _timed(session, box, services.calendar, now)
        return timed


def end_timeboxes_of_solved_tickets(session: Session, now: datetime) -> int:
    """Solving the ticket ends its time-boxes; how many ended."""
    boxes = unended_timeboxes(session=session)
    tickets = tickets_by_ids(session=session, ticket_ids=sorted({b.ticket_id for b in boxes}))
    ended = 0
    for box in boxes:
        ticket = tickets.get(box.ticket_id)
        if ticket is None or ticket.status in OPEN_STATUSES:
            continue
        assert box.id is not None
        close_spans(session=session, timebox_id=box.id, now=now)
        box.state, box.ended_at, box.end_reason = ENDED, now, SOLVED
        session.add(box)
        ended += 1
    return ended


def running_timebox_of(services: Services, user: str) -> tuple[Timed, Ticket | None] | None:
    """For the App Home: the person's running time-box and its ticket."""
    now = services.now()
    with services.session() as session:
        box = running_timebox(session=session, user_id=user)
        if box is None:
            return None
        ticket = tickets_by_ids(session=session, ticket_ids=[box.ticket_id]).get(box.ticket_id)
        return _timed(session, box, services.calendar, now), ticket


def link_of(services: Services, ticket_id: int) -> str:
    """The ticket as a Slack link with its subject and client, from the mirror."""
    with services.session() as session:
        ticket = tickets_by_ids(session=session, ticket_ids=[ticket_id]).get(ticket_id)
        client = None if ticket is None else client_name(session, ticket)
    subject = "" if ticket is None else ticket.subject
    return ticket_link(
        ticket_id, subject, client, ticket_url(services.settings.zendesk_url, ticket_id)
    )
