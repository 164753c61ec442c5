"""Time-boxes and help requests, their queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.store.db import session_scope
from bot.store.help_requests import (
    ACCEPTED,
    ASKED,
    HelpRequest,
    add_help_request,
    booked_help,
    help_starting_by,
    unanswered_help,
)
from bot.store.timeboxes import (
    ENDED,
    PAUSED,
    Timebox,
    close_spans,
    open_span,
    open_timebox_on,
    running_timebox,
    spans_between,
    spans_of,
    unended_timeboxes,
)
from tests.store.test_tickets import BIG, NOW


def test_timeboxes_and_their_spans(engine: Engine) -> None:
    with session_scope(engine) as session:
        running = Timebox(user_id="UA", ticket_id=BIG, started_at=NOW, limit_hours=2)
        paused = Timebox(user_id="UA", ticket_id=1, started_at=NOW, limit_hours=2, state=PAUSED)
        ended = Timebox(user_id="UB", ticket_id=2, started_at=NOW, limit_hours=2, state=ENDED)
        session.add_all([running, paused, ended])
        session.flush()
        assert running.id and paused.id
        open_span(session=session, timebox_id=paused.id, now=NOW - timedelta(days=8))
        session.flush()
        close_spans(session=session, timebox_id=paused.id, now=NOW - timedelta(days=7, hours=1))
        open_span(session=session, timebox_id=running.id, now=NOW)
    with session_scope(engine) as session:
        found = running_timebox(session=session, user_id="UA")
        assert found is not None and found.ticket_id == BIG
        assert running_timebox(session=session, user_id="UB") is None
        assert open_timebox_on(session=session, user_id="UA", ticket_id=1) is not None
        assert open_timebox_on(session=session, user_id="UB", ticket_id=2) is None
        assert sorted(b.ticket_id for b in unended_timeboxes(session=session)) == [1, BIG]
        spans = spans_of(session=session, timebox_ids=[running.id, paused.id])
        assert [s.ended_at for s in spans[running.id]] == [None]
        assert len(spans[paused.id]) == 1
        week = spans_between(
            session=session, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)
        )
        assert [ticket for _, ticket in week] == [BIG]
        older = spans_between(
            session=session, start=NOW - timedelta(days=9), end=NOW - timedelta(days=7)
        )
        assert [ticket for _, ticket in older] == [1]


def test_help_requests_booked_starting_and_unanswered(engine: Engine) -> None:
    with session_scope(engine) as session:
        for starts, state in ((2, ACCEPTED), (1, ACCEPTED), (3, ASKED), (-1, ACCEPTED)):
            add_help_request(
                session=session,
                request=HelpRequest(
                    ticket_id=BIG,
                    asker="UA",
                    helper="UH" if starts != 1 else "UX",
                    starts_at=NOW + timedelta(hours=starts),
                    minutes=30,
                    state=state,
                    waiting_on="UH",
                    asked_at=NOW,
                ),
            )
    with session_scope(engine) as session:
        booked = booked_help(session=session, now=NOW)
        assert [r.starts_at - NOW for r in booked] == [timedelta(hours=1), timedelta(hours=2)]
        mine = booked_help(session=session, now=NOW, users=["UX"])
        assert [r.helper for r in mine] == ["UX"]
        soon = help_starting_by(
            session=session, start=NOW + timedelta(minutes=45), end=NOW + timedelta(hours=1)
        )
        assert [r.helper for r in soon] == ["UX"]
        assert [r.state for r in unanswered_help(session=session)] == [ASKED]
