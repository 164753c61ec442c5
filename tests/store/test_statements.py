"""Rows inserted in one statement behave as flushed ones: with their id, kept in the session,
later changes written, and counted as a write of their table. On both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.store.audit import audit_events, record_audit
from bot.store.changes import ROTA
from bot.store.db import session_scope
from bot.store.rota import Absence, Rota, SwapRequest
from bot.store.statements import inserted
from tests.store.sources import Source

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def statements_of(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a, **_k: seen.append(a[2]))
    return seen


def test_an_inserted_row_has_its_id_and_stays_in_the_session(engine: Engine) -> None:
    with session_scope(engine) as session:
        rota = inserted(session, Rota(channel_id="C1", created_by="U1", created_at=NOW))
        assert rota.id is not None
        assert inspect(rota).persistent
        assert session.get(Rota, rota.id) is rota  # no second row, no query
        rota.default_lead = "U9"  # a change made after is written at commit
        secret = rota.ical_secret
    with Session(engine) as session:
        stored = session.get(Rota, rota.id)
        assert stored is not None
        assert (stored.default_lead, stored.ical_secret, stored.created_at) == ("U9", secret, NOW)


def test_every_column_is_written_from_the_instance(engine: Engine) -> None:
    with session_scope(engine) as session:
        request = inserted(
            session,
            SwapRequest(
                rota_id=inserted(session, Rota(channel_id="C2", created_by="U1")).id,
                requester="U1",
                target="U2",
                requester_week=date(2026, 12, 7),
                target_week=date(2026, 12, 14),
                created_at=NOW,
            ),
        )
    with Session(engine) as session:
        stored = session.get(SwapRequest, request.id)
        assert stored is not None
        assert stored.model_dump() == request.model_dump()
        assert stored.status == "pending"


def test_one_statement_per_row_and_no_flush(engine: Engine) -> None:
    seen = statements_of(engine)
    with session_scope(engine) as session:
        session.connection()
        seen.clear()
        inserted(
            session,
            Absence(
                user_id="U1",
                first_day=date(2026, 12, 7),
                last_day=date(2026, 12, 8),
                created_by="U1",
            ),
        )
        assert len(seen) == 1 and seen[0].startswith("INSERT INTO absence")
        assert not session.new and not session.dirty


def test_an_inserted_row_counts_as_a_write_of_its_table(engine: Engine) -> None:
    source = Source(engine)
    before = ROTA.generation(source)
    with session_scope(engine) as session:
        inserted(session, Rota(channel_id="C3", created_by="U1"))
    assert ROTA.generation(source) == before + 1


def test_an_audit_event_is_recorded_in_one_statement(engine: Engine) -> None:
    seen = statements_of(engine)
    with session_scope(engine) as session:
        session.connection()
        seen.clear()
        record_audit(session=session, actor="U1", action="rota.add", scope="C1", at=NOW)
        assert len(seen) == 1 and seen[0].startswith("INSERT INTO audit_event")
        (event_,) = audit_events(session=session, scope="C1")
        assert (event_.actor, event_.action, event_.at) == ("U1", "rota.add", NOW)


def test_a_rolled_back_insert_leaves_the_session(engine: Engine) -> None:
    with Session(engine) as session:
        gone = inserted(session, Rota(channel_id="C4", created_by="U1"))
        session.rollback()
        assert gone not in session
        # The database may give the same id again: no clash with the row rolled back.
        again = inserted(session, Rota(channel_id="C4", created_by="U1"))
        session.commit()
        assert session.get(Rota, again.id) is again


def test_a_savepoint_rolled_back_forgets_its_rows_and_keeps_the_rest(engine: Engine) -> None:
    with Session(engine) as session:
        kept = inserted(session, Rota(channel_id="C5", created_by="U1"))
        savepoint = session.begin_nested()
        inside = inserted(session, Rota(channel_id="C6", created_by="U1"))
        savepoint.rollback()
        assert inside not in session and kept in session
        again = inserted(session, Rota(channel_id="C6", created_by="U1")).id
        session.commit()
    with Session(engine) as session:
        assert {r.channel_id for r in session.exec(select(Rota))} == {"C5", "C6"}
        assert session.get(Rota, again) is not None
