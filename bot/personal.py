"""The nudges as lists, for the App Home and the weekly summary: the digests' own rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.blocks.digest import ReviewLine, WaitingLine
from bot.digests import route
from bot.escalation import with_links
from bot.jobs.client_waiting import waiting_lines
from bot.jobs.priority_review import review_lines
from bot.settings import Settings
from bot.store.escalations import Escalation, open_escalations
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar


@dataclass(frozen=True)
class PersonalNudges:
    review: list[ReviewLine] = field(default_factory=list)
    waiting: list[WaitingLine] = field(default_factory=list)
    # Open escalations the person raised or leads, with their ticket links.
    escalations: list[tuple[Escalation, str]] = field(default_factory=list)


def team_nudges(
    session: Session, *, now: datetime, calendar: WorkCalendar, settings: Settings
) -> tuple[list[ReviewLine], list[WaitingLine]]:
    """Every open ticket needing a priority review, and every client waiting, team-wide."""
    review = review_lines(
        session,
        now,
        review_after_days=settings.review_after_days,
        zendesk_url=settings.zendesk_url,
    )
    waiting = waiting_lines(
        session,
        now,
        calendar=calendar,
        waiting_hours=settings.client_waiting_hours,
        no_reply_days=settings.no_reply_days,
        zendesk_url=settings.zendesk_url,
    )
    return review, waiting


def personal_nudges(
    session: Session, *, user_id: str, now: datetime, calendar: WorkCalendar, settings: Settings
) -> PersonalNudges:
    if not settings.zendesk_enabled:
        return PersonalNudges()
    review, waiting = team_nudges(session, now=now, calendar=calendar, settings=settings)
    mine_to_review = _routed_to(session, user_id, [line.ticket for line in review], calendar, now)
    mine_waiting = _routed_to(session, user_id, [line.ticket for line in waiting], calendar, now)
    escalations = [e for e in open_escalations(session=session) if user_id in (e.raised_by, e.lead)]
    return PersonalNudges(
        review=[line for line in review if line.ticket.id in mine_to_review],
        waiting=[line for line in waiting if line.ticket.id in mine_waiting],
        escalations=with_links(session, escalations, zendesk_url=settings.zendesk_url),
    )


def _routed_to(
    session: Session, user_id: str, tickets: list[Ticket], calendar: WorkCalendar, now: datetime
) -> set[int]:
    routing = route(session, tickets, calendar=calendar, now=now)
    return {ticket.id for ticket in routing.by_person.get(user_id, [])}
