"""Priority reviews, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.priority_reviews import (
    last_priority_review,
    last_priority_reviews,
    record_priority_review,
)

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


def test_each_tickets_last_review_in_one_statement(engine: Engine) -> None:
    """A merged read's cards: each ticket's own last review, ties broken as for one ticket."""
    reviews = [
        (BIG, "U1", NOW),
        (BIG, "U2", NOW + timedelta(hours=2)),
        (BIG, "U3", NOW + timedelta(hours=1)),
        (5, "U4", NOW),
        (5, "U5", NOW),  # the same time: the later row wins, as last_priority_review has it
        (6, "U6", NOW - timedelta(days=3)),
    ]
    with session_scope(engine) as session:
        for ticket_id, by, at in reviews:
            record_priority_review(
                session=session, ticket_id=ticket_id, reviewed_by=by, reviewed_at=at, source="card"
            )
    with Session(engine) as session:
        found = last_priority_reviews(session=session, ticket_ids={BIG, 5, 6, 7})
        assert {t: r.reviewed_by for t, r in found.items()} == {BIG: "U2", 5: "U5", 6: "U6"}
        for ticket_id in (BIG, 5, 6):
            one = last_priority_review(session=session, ticket_id=ticket_id)
            assert one is not None and found[ticket_id].id == one.id
        assert last_priority_reviews(session=session, ticket_ids={5}) == {5: found[5]}
        assert last_priority_reviews(session=session, ticket_ids={7}) == {}
        assert last_priority_reviews(session=session, ticket_ids=set()) == {}
