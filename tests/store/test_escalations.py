"""The escalation table and its queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.escalations import (
    ACKNOWLEDGED,
    CONTACTING,
    RAISED,
    REASONS,
    Escalation,
    add_escalation,
    escalation_by_id,
    escalations_between,
    open_escalations,
    pending_zendesk_notes,
    save_escalation,
)
from tests.store.test_tickets import BIG, NOW


def raised(session: Session, at: datetime, *, state: str = RAISED, note_ok: bool = False) -> int:
    escalation = add_escalation(
        session=session, ticket_id=BIG, raised_by="UA", reason="other", note="", lead="UL", now=at
    )
    escalation.state, escalation.zendesk_note_ok = state, note_ok
    assert escalation.id is not None
    return escalation.id


def ids(escalations: list[Escalation]) -> list[int | None]:
    return [e.id for e in escalations]


def test_the_reasons_are_the_playbooks() -> None:
    assert list(REASONS) == ["unhappy", "out-of-scope", "post-update", "other"]


def test_a_new_escalation_is_raised_with_nothing_told_yet(engine: Engine) -> None:
    with session_scope(engine) as session:
        escalation = add_escalation(
            session=session,
            ticket_id=BIG,
            raised_by="UA",
            reason="unhappy",
            note="Angry <call>",
            lead="UL",
            now=NOW,
        )
        escalation_id = escalation.id
    with Session(engine) as session:
        found = escalation_by_id(session=session, escalation_id=escalation_id or 0)
        assert found is not None
        assert (found.ticket_id, found.raised_by, found.reason, found.note, found.lead) == (
            BIG,
            "UA",
            "unhappy",
            "Angry <call>",
            "UL",
        )
        assert (found.state, found.raised_at, found.acknowledged_at, found.contacting_at) == (
            RAISED,
            NOW,
            None,
            None,
        )
        assert (found.zendesk_note_ok, found.zendesk_error, found.channel_ts, found.lead_dm_ts) == (
            False,
            None,
            None,
            None,
        )
        assert escalation_by_id(session=session, escalation_id=12345) is None


def test_a_locked_read_and_a_save_change_the_stored_record(engine: Engine) -> None:
    with session_scope(engine) as session:
        escalation_id = raised(session, NOW)
    with session_scope(engine) as session:
        locked = escalation_by_id(session=session, escalation_id=escalation_id, for_update=True)
        assert locked is not None
        locked.state, locked.acknowledged_at = ACKNOWLEDGED, NOW + timedelta(minutes=5)
        save_escalation(session=session, escalation=locked)
    with Session(engine) as session:
        saved = escalation_by_id(session=session, escalation_id=escalation_id)
        assert saved is not None
        assert (saved.state, saved.acknowledged_at) == (ACKNOWLEDGED, NOW + timedelta(minutes=5))
        assert escalation_by_id(session=session, escalation_id=12345, for_update=True) is None


def test_notes_pending_are_those_zendesk_has_not_got_in_the_order_recorded(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = raised(session, NOW)
        raised(session, NOW - timedelta(hours=1), note_ok=True)
        third = raised(session, NOW - timedelta(days=3), state=CONTACTING)
    with Session(engine) as session:
        assert ids(pending_zendesk_notes(session=session)) == [first, third]


def test_a_week_includes_its_start_and_not_its_end(engine: Engine) -> None:
    end = NOW + timedelta(days=7)
    with session_scope(engine) as session:
        raised(session, NOW - timedelta(microseconds=1))
        at_start = raised(session, NOW)
        tie_first = raised(session, end - timedelta(hours=1))
        tie_second = raised(session, end - timedelta(hours=1), state=ACKNOWLEDGED)
        raised(session, end)
        middle = raised(session, NOW + timedelta(days=1))
    with Session(engine) as session:
        week = escalations_between(session=session, start=NOW, end=end)
        assert ids(week) == [at_start, middle, tie_first, tie_second]
        assert escalations_between(session=session, start=end, end=end) == []


def test_open_escalations_are_unanswered_oldest_first_up_to_the_limit(engine: Engine) -> None:
    with session_scope(engine) as session:
        newest = raised(session, NOW)
        oldest = raised(session, NOW - timedelta(days=2))
        raised(session, NOW - timedelta(days=3), state=ACKNOWLEDGED)
        raised(session, NOW - timedelta(days=4), state=CONTACTING)
        middle = raised(session, NOW - timedelta(days=1))
    with Session(engine) as session:
        assert ids(open_escalations(session=session)) == [oldest, middle, newest]
        assert ids(open_escalations(session=session, limit=2)) == [oldest, middle]
