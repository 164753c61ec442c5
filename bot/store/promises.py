"""Promised updates: what we told a client we would do, by when, and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text, func
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.types import UTCDateTime

OPEN = "open"
KEPT = "kept"
RESCHEDULED = "rescheduled"
HANDED_OVER = "handed_over"
CANCELLED = "cancelled"

FROM_COMMAND = "command"
FROM_MODAL = "modal"
FROM_REPLY = "detected"


class Promise(SQLModel, table=True):
    __tablename__ = "promise"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    owner: str = Field(max_length=64, index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # When the promise was made: a later public reply by any agent keeps it.
    made_at: datetime = Field(sa_type=UTCDateTime)
    note: str = Field(default="", sa_type=Text)
    source: str = Field(max_length=16)
    # The Zendesk comment a detected promise came from: detecting it twice records it once.
    comment_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    state: str = Field(default=OPEN, max_length=16, index=True)
    state_by: str | None = Field(default=None, max_length=64)
    state_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The promise this one replaced, when rescheduled or handed over, and the first of them.
    replaces: int | None = Field(default=None, foreign_key="promise.id")
    origin: int | None = Field(default=None, foreign_key="promise.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)


def add_promise(
    *,
    session: Session,
    ticket_id: int,
    owner: str,
    due_at: datetime,
    made_at: datetime,
    note: str,
    source: str,
    created_by: str,
    created_at: datetime,
    comment_id: int | None = None,
    replaces: Promise | None = None,
) -> Promise:
    promise = Promise(
        ticket_id=ticket_id,
        owner=owner,
        due_at=due_at,
        made_at=made_at,
        note=note,
        source=source,
        created_by=created_by,
        comment_id=comment_id,
        replaces=None if replaces is None else replaces.id,
        origin=None if replaces is None else (replaces.origin or replaces.id),
        created_at=created_at,
    )
    session.add(promise)
    session.flush()
    return promise


def origin_of(promise: Promise) -> int:
    """The first promise of a chain of reschedules and hand-overs: the same promise, to people."""
    origin = promise.origin or promise.id
    assert origin is not None
    return origin


def promise_by_id(*, session: Session, promise_id: int) -> Promise | None:
    return session.get(Promise, promise_id)


def comments_with_promises(*, session: Session, comment_ids: list[int]) -> set[int]:
    """Which of these Zendesk comments already gave us a promise."""
    if not comment_ids:
        return set()
    query = select(Promise.comment_id).where(col(Promise.comment_id).in_(comment_ids))
    return {comment_id for comment_id in session.exec(query) if comment_id is not None}


def close_promise(*, session: Session, promise: Promise, state: str, by: str, at: datetime) -> None:
    promise.state, promise.state_by, promise.state_at = state, by, at
    session.add(promise)


def open_promises(
    *, session: Session, due_before: datetime | None = None, limit: int | None = None
) -> list[Promise]:
    """Open promises, soonest due first (the first `limit` of them, when given)."""
    query = select(Promise).where(col(Promise.state) == OPEN)
    if due_before is not None:
        query = query.where(col(Promise.due_at) <= due_before)
    query = query.order_by(col(Promise.due_at), col(Promise.id)).limit(limit)
    return list(session.exec(query))


def count_open_promises(*, session: Session) -> int:
    return int(session.exec(select(func.count()).where(col(Promise.state) == OPEN)).one())


def open_promises_of(*, session: Session, owner: str) -> list[Promise]:
    query = (
        select(Promise)
        .where(col(Promise.state) == OPEN, col(Promise.owner) == owner)
        .order_by(col(Promise.due_at), col(Promise.id))
    )
    return list(session.exec(query))


def open_promises_on_tickets(*, session: Session, ticket_ids: list[int]) -> list[Promise]:
    query = (
        select(Promise)
        .where(col(Promise.state) == OPEN, col(Promise.ticket_id).in_(ticket_ids))
        .order_by(col(Promise.due_at), col(Promise.id))
    )
    return list(session.exec(query))
