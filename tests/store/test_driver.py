"""Statements through the driver (PostgreSQL): converted as SQLAlchemy's execution would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, bindparam, insert, literal, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from bot.store.bulk_writes import table_of
from bot.store.db import make_engine
from bot.store.driver import driver_write
from bot.store.priority_reviews import PriorityReview

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
REVIEWS = table_of(PriorityReview)
_INSERT = (
    insert(REVIEWS)
    .values({c.name: bindparam(c.name) for c in REVIEWS.c if c.name != "id"})
    .returning(REVIEWS.c.id, REVIEWS.c.reviewed_at)
)
_SET_SOURCE = update(REVIEWS).where(REVIEWS.c.id == bindparam("review")).values(source="digest")
_TWO_LITERALS = select(
    literal("card", String).label("source"), literal(None, String).label("nothing")
)
_ANY_OF = select(REVIEWS.c.id).where(REVIEWS.c.id.in_(bindparam("ids", expanding=True)))


@pytest.fixture
def pg_engine(pg_url: str) -> Engine:
    engine = make_engine(pg_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def review(at: datetime) -> dict[str, object]:
    return {
        "ticket_id": 5,
        "reviewed_by": "U1",
        "reviewed_at": at,
        "priority_set": None,
        "source": "card",
    }


def test_values_and_the_row_are_converted_as_the_columns_convert_them(pg_engine: Engine) -> None:
    paris = timezone(timedelta(hours=1))
    row = driver_write(pg_engine, _INSERT, review(NOW.astimezone(paris)))
    assert row.id is not None
    assert (row.reviewed_at, row.reviewed_at.tzinfo) == (NOW, UTC)
    with pytest.raises(StatementError, match="naive datetime"):
        driver_write(pg_engine, _INSERT, review(NOW.replace(tzinfo=None)))


def test_a_statement_without_rows_gives_none_and_literals_keep_their_values(
    pg_engine: Engine,
) -> None:
    row = driver_write(pg_engine, _INSERT, review(NOW))
    assert driver_write(pg_engine, _SET_SOURCE, {"review": row.id}) is None
    assert tuple(driver_write(pg_engine, _TWO_LITERALS, {})) == ("card", None)


def test_a_statement_rendered_at_execution_is_refused(pg_engine: Engine) -> None:
    with pytest.raises(ValueError, match="rendered at execution"):
        driver_write(pg_engine, _ANY_OF, {"ids": [1, 2]})
