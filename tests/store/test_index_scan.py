"""Distinct values by skipping along an index, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.store.db import session_scope
from bot.store.index_scan import distinct_values
from bot.store.tickets import Ticket

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_each_value_once_smallest_first_without_nulls(engine: Engine) -> None:
    column = Ticket.__table__.c.assignee_id  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        assert distinct_values(session, column) == []
        for ticket_id, assignee in enumerate([30, 10, None, 30, 20], start=1):
            session.add(
                Ticket(
                    id=ticket_id,
                    status="open",
                    assignee_id=assignee,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    with session_scope(engine) as session:
        assert distinct_values(session, column) == [10, 20, 30]
