"""The time-box DMs due at a run of the `commitments` job, with their ledger keys.

A running time-box whose working hours reached its limit is due once per limit: *One more
hour* raises the limit, and with it the key, so the next DM comes an hour later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.blocks.escalation import ticket_link
from bot.blocks.kit import ticket_url
from bot.blocks.timeboxes import TimeboxNote
from bot.settings import Settings
from bot.store.reports import client_name
from bot.store.tickets import OPEN_STATUSES, tickets_by_ids
from bot.store.timeboxes import running_timeboxes, spans_of
from bot.timeboxes.hours import worked_hours
from bot.worktime import WorkCalendar

JOB = "commitments"


@dataclass(frozen=True)
class TimeboxDue:
    key: str
    recipient: str
    note: TimeboxNote


def timebox_key(timebox_id: int, limit: float) -> str:
    return f"{JOB}:timebox:{timebox_id}:{limit:g}"


def due_timeboxes(
    session: Session, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> list[TimeboxDue]:
    boxes = running_timeboxes(session=session)
    spans = spans_of(session=session, timebox_ids=[b.id for b in boxes if b.id is not None])
    tickets = tickets_by_ids(session=session, ticket_ids=sorted({b.ticket_id for b in boxes}))
    found = []
    for box in boxes:
        assert box.id is not None
        ticket = tickets.get(box.ticket_id)
        if ticket is not None and ticket.status not in OPEN_STATUSES:
            continue  # solved: the run ends it
        worked = worked_hours(spans[box.id], calendar, now)
        if worked < box.limit_hours:
            continue
        subject = "" if ticket is None else ticket.subject
        client = None if ticket is None else client_name(session, ticket)
        link = ticket_link(
            box.ticket_id, subject, client, ticket_url(settings.zendesk_url, box.ticket_id)
        )
        note = TimeboxNote(
            timebox_id=box.id,
            ticket_id=box.ticket_id,
            link=link,
            worked=worked,
            update_related=ticket is not None and settings.update_tag in (ticket.tags or []),
            update_tag=settings.update_tag,
        )
        found.append(TimeboxDue(timebox_key(box.id, box.limit_hours), box.user_id, note))
    return found
