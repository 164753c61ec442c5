"""The client-waiting lists read from the mirror: most waiting first, with the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.blocks.digest import WaitingReason
from bot.nudges.waiting import (
    most_waiting_first,
    still_waiting_lines,
    waiting_lines,
    waiting_shortlists,
)
from bot.store.db import session_scope
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar
from tests.store.test_digest_lines import SINCE, digest

CALENDAR = WorkCalendar(timezone="Europe/London", holidays="GB-ENG")
# Wednesday 2 December 2026, 10:00 GMT.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)
LONG_AGO = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
# When the client of ticket 1 wrote: the spell the digest helper records.
YESTERDAY = SINCE
RULE: dict[str, Any] = {"calendar": CALENDAR, "waiting_hours": 4, "no_reply_days": 2}


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        for ticket_id, status, created, client_at in [
            (1, "open", LONG_AGO, YESTERDAY),  # the client wrote a day ago: waiting
            (2, "open", NOW.replace(hour=9), NOW.replace(hour=9, minute=30)),  # too recent
            (3, "new", LONG_AGO, None),  # never answered for a week: waiting
            (4, "pending", LONG_AGO, None),  # waits on the client
        ]:
            session.add(
                Ticket(
                    id=ticket_id,
                    subject=f"T{ticket_id}",
                    status=status,
                    assignee_id=7,
                    created_at=created,
                    updated_at=created,
                    last_requester_comment_at=client_at,
                    last_agent_public_reply_at=LONG_AGO if ticket_id == 1 else None,
                )
            )


def test_most_waiting_first_with_the_reason(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = waiting_shortlists(session, NOW, **RULE, limit=5)
        rows = found[None].rows
        assert [ticket.id for ticket, _ in rows] == [3, 1]
        assert sorted(rows, key=most_waiting_first) == rows
        lines = waiting_lines(session, rows, NOW, **RULE, zendesk_url=None)
        reasons = {line.ticket.id: line.waiting.reason for line in lines}
        assert reasons == {3: WaitingReason.NO_REPLY, 1: WaitingReason.CLIENT_WROTE}
        assert lines[1].waiting.since == YESTERDAY


ARGS: dict[str, Any] = {"job": "client-waiting", **RULE, "zendesk_url": None}


def test_a_ticket_carried_on_two_earlier_days_is_still_waiting(engine: Engine) -> None:
    _seed(engine)
    digest(engine, "k1", [1], date(2026, 11, 30), sent=True)
    with session_scope(engine) as session:
        assert still_waiting_lines(session, NOW, TODAY, days=2, **ARGS) == []
    digest(engine, "k2", [1], date(2026, 12, 1), sent=True)
    with session_scope(engine) as session:
        [line] = still_waiting_lines(session, NOW, TODAY, days=2, **ARGS)
        assert line.ticket.id == 1 and line.waiting.since == SINCE


def test_a_spell_that_ended_is_not_still_waiting(engine: Engine) -> None:
    _seed(engine)
    # Ticket 3 waits since long ago: the spell the digests carried is another one.
    digest(engine, "k1", [3], date(2026, 11, 30), sent=True)
    digest(engine, "k2", [3], date(2026, 12, 1), sent=True)
    with session_scope(engine) as session:
        assert still_waiting_lines(session, NOW, TODAY, days=2, **ARGS) == []
