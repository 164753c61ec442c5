"""Priority reviews, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.priority_reviews import last_priority_review, record_priority_review

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
# Zendesk ids outgrow 32 bits.
BIG = 2**40 + 7


def test_the_latest_review_wins(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_priority_review(
            session=session, ticket_id=BIG, reviewed_by="U1", reviewed_at=NOW, source="card"
        )
        record_priority_review(
            session=session,
            ticket_id=BIG,
            reviewed_by="U2",
            reviewed_at=NOW + timedelta(hours=1),
            source="digest",
            priority_set="low",
        )
    with Session(engine) as session:
        latest = last_priority_review(session=session, ticket_id=BIG)
        assert latest is not None and (latest.reviewed_by, latest.priority_set) == ("U2", "low")
        assert last_priority_review(session=session, ticket_id=1) is None
