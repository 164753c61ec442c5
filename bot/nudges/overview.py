"""The nudges as lists, for the App Home and the weekly summary: the digests' own rules.

Each list holds the first few lines a section shows and counts the rest, so opening the App
Home costs the same with a hundred open tickets as with a hundred thousand.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.blocks.digest import SECTION_LINES, Nudges, PersonalNudges, Total
from bot.escalation import with_links
from bot.nudges.review import review_lines, review_shortlists
from bot.nudges.routing import by_person, recipients
from bot.nudges.waiting import most_waiting_first, waiting_lines, waiting_shortlists
from bot.settings import Settings
from bot.store.escalations import open_escalations
from bot.store.shortlists import Assignee, Shortlist, triage_key
from bot.worktime import WorkCalendar


def team_nudges(
    session: Session, *, now: datetime, calendar: WorkCalendar, settings: Settings
) -> Nudges:
    """Open tickets needing a priority review, and clients waiting, team-wide."""
    review, waiting = _shortlists(
        session, now=now, calendar=calendar, settings=settings, by_assignee=False
    )
    return _as_lines(
        session,
        review.get(None, Shortlist()),
        waiting.get(None, Shortlist()),
        now=now,
        calendar=calendar,
        settings=settings,
    )


def personal_nudges(
    session: Session, *, user_id: str, now: datetime, calendar: WorkCalendar, settings: Settings
) -> PersonalNudges:
    """The lines the person's digests would carry (their tickets, or the team's when they are
    on support), and the escalations they raised or lead."""
    if not settings.zendesk_enabled:
        return PersonalNudges()
    review, waiting = _shortlists(
        session, now=now, calendar=calendar, settings=settings, by_assignee=True
    )
    people = recipients(
        session,
        {*review, *waiting},
        calendar=calendar,
        now=now,
        handed_on_tag=settings.chargeable_tag,
    )
    mine_to_review, _ = by_person(
        people, review, limit=SECTION_LINES, order=lambda row: triage_key(row[0])
    )
    mine_waiting, _ = by_person(people, waiting, limit=SECTION_LINES, order=most_waiting_first)
    lists = _as_lines(
        session,
        mine_to_review.get(user_id, Shortlist()),
        mine_waiting.get(user_id, Shortlist()),
        now=now,
        calendar=calendar,
        settings=settings,
    )
    escalations = [e for e in open_escalations(session=session) if user_id in (e.raised_by, e.lead)]
    return PersonalNudges(
        review=lists.review,
        review_total=lists.review_total,
        waiting=lists.waiting,
        waiting_total=lists.waiting_total,
        escalations=with_links(session, escalations, zendesk_url=settings.zendesk_url),
    )


def _shortlists(
    session: Session,
    *,
    now: datetime,
    calendar: WorkCalendar,
    settings: Settings,
    by_assignee: bool,
) -> tuple[dict[Assignee, Shortlist], dict[Assignee, Shortlist]]:
    """Both lists' first lines and counts: to review, and waiting."""
    review = review_shortlists(
        session,
        now,
        review_after_days=settings.review_after_days,
        limit=SECTION_LINES,
        by_assignee=by_assignee,
    )
    waiting = waiting_shortlists(
        session,
        now,
        calendar=calendar,
        waiting_hours=settings.client_waiting_hours,
        no_reply_days=settings.no_reply_days,
        limit=SECTION_LINES,
        by_assignee=by_assignee,
    )
    return review, waiting


def _as_lines(
    session: Session,
    review: Shortlist,
    waiting: Shortlist,
    *,
    now: datetime,
    calendar: WorkCalendar,
    settings: Settings,
) -> Nudges:
    return Nudges(
        review=review_lines(
            session,
            review.rows,
            now,
            review_after_days=settings.review_after_days,
            zendesk_url=settings.zendesk_url,
            authorised_tag=settings.authorised_tag,
        ),
        review_total=Total.of(review),
        waiting=waiting_lines(
            session,
            waiting.rows,
            now,
            calendar=calendar,
            waiting_hours=settings.client_waiting_hours,
            no_reply_days=settings.no_reply_days,
            zendesk_url=settings.zendesk_url,
            authorised_tag=settings.authorised_tag,
        ),
        waiting_total=Total.of(waiting),
    )
