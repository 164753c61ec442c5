"""People's names as Slack gave them, kept for the calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.store.db import session_scope
from bot.store.slack_names import SlackUserName, known_names, remember_names

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_names_are_kept_and_a_new_name_replaces_the_old(engine: Engine) -> None:
    with session_scope(engine) as session:
        remember_names(session=session, names={"U1": "alice", "U2": "bob"}, now=NOW)
    later = NOW + timedelta(days=1)
    with session_scope(engine) as session:
        remember_names(session=session, names={"U1": "alice", "U2": "bobby"}, now=later)
    with Session(engine) as session:
        assert known_names(session=session, user_ids=["U1", "U2"]) == {"U1": "alice", "U2": "bobby"}
        rows = {row.user_id: row for row in session.exec(select(SlackUserName)).all()}
    assert rows["U1"].learned_at == NOW  # learned then, unchanged since
    assert rows["U2"].learned_at == later


def test_names_already_kept_are_not_written_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        remember_names(session=session, names={"U1": "alice"}, now=NOW)
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as session:
            remember_names(session=session, names={"U1": "alice"}, now=NOW + timedelta(hours=1))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert writes == []  # a request that learns nothing new takes no write lock
