"""The nudge lists at a glance: team-wide for the weekly summary, one person's for App Home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.blocks.digest import PersonalNudges, Total
from bot.nudges.overview import personal_nudges, team_nudges
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.tickets import Ticket
from bot.store.zendesk_people import ZendeskUser
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar(timezone="Europe/London", holidays="GB-ENG")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=7)
SETTINGS = Settings(zendesk_url="https://z.test")


def _seed(engine: Engine) -> None:
    """Alice (Zendesk user 7) holds tickets 1 to 7; ticket 8 is nobody's. None has a priority
    or a reply, so each needs a review and each client waits."""
    with session_scope(engine) as session:
        session.add(ZendeskUser(id=7, role="agent", slack_user_id="UALICE"))
        for ticket_id in range(1, 9):
            session.add(
                Ticket(
                    id=ticket_id,
                    status="open",
                    assignee_id=7 if ticket_id < 8 else None,
                    created_at=LONG_AGO + timedelta(minutes=ticket_id),
                    updated_at=LONG_AGO,
                )
            )


def test_team_wide_the_first_lines_and_the_count(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        nudges = team_nudges(session, now=NOW, calendar=CALENDAR, settings=SETTINGS)
    assert [line.ticket.id for line in nudges.review] == [1, 2, 3, 4, 5]
    assert nudges.review_total == Total(8)
    assert [line.ticket.id for line in nudges.waiting] == [1, 2, 3, 4, 5]
    assert nudges.waiting_total == Total(8)


def test_one_persons_lists_hold_only_what_their_digests_would(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        mine = personal_nudges(
            session, user_id="UALICE", now=NOW, calendar=CALENDAR, settings=SETTINGS
        )
        nobody = personal_nudges(
            session, user_id="UBOB", now=NOW, calendar=CALENDAR, settings=SETTINGS
        )
    assert [line.ticket.id for line in mine.review] == [1, 2, 3, 4, 5]
    assert mine.review_total == Total(7)
    assert mine.waiting_total == Total(7) and mine.escalations == []
    assert nobody == PersonalNudges()


def test_without_zendesk_there_are_no_lists(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = personal_nudges(
            session, user_id="UALICE", now=NOW, calendar=CALENDAR, settings=Settings()
        )
    assert found == PersonalNudges()
