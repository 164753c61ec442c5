"""Promised updates: what we told a client we would do, by when, and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text, and_, bindparam, func, or_
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.index_scan import distinct_values
from bot.store.tickets import Ticket
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


# A person's open promises, soonest due first (the commitments job reads them so).
Index(
    "ix_promise_owner_state_due",
    Promise.__table__.c.owner,  # type: ignore[attr-defined]
    Promise.__table__.c.state,  # type: ignore[attr-defined]
    Promise.__table__.c.due_at,  # type: ignore[attr-defined]
    Promise.__table__.c.id,  # type: ignore[attr-defined]
)


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
    found = session.execute(_WITH_PROMISES, {"comment_ids": sorted(comment_ids)}).scalars()
    return {comment_id for comment_id in found if comment_id is not None}


# Built once (see bot.store.statements): every ticket fetched from Zendesk runs it.
_WITH_PROMISES = select(Promise.comment_id).where(
    col(Promise.comment_id).in_(bindparam("comment_ids", expanding=True))
)


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


def promise_owners(*, session: Session) -> list[str]:
    """Everyone who holds or held a promise, found by skipping along the owner index."""
    held = distinct_values(session, Promise.__table__.c.owner)  # type: ignore[attr-defined]
    return [str(owner) for owner in held]


def open_promises_page(
    *,
    session: Session,
    owner: str,
    due_before: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Promise]:
    """One page of a person's open promises due by `due_before`, soonest first, from just
    after the (due_at, id) `after`."""
    query = select(Promise).where(
        col(Promise.owner) == owner, col(Promise.state) == OPEN, col(Promise.due_at) <= due_before
    )
    if after is not None:
        due_at, promise_id = after
        query = query.where(
            or_(
                col(Promise.due_at) > due_at,
                and_(col(Promise.due_at) == due_at, col(Promise.id) > promise_id),
            )
        )
    query = query.order_by(col(Promise.due_at), col(Promise.id)).limit(limit)
    return list(session.exec(query))


def open_promises_of(*, session: Session, owner: str) -> list[Promise]:
    query = (
        select(Promise)
        .where(col(Promise.state) == OPEN, col(Promise.owner) == owner)
        .order_by(col(Promise.due_at), col(Promise.id))
    )
    return list(session.exec(query))


def open_promises_on_tickets(*, session: Session, ticket_ids: list[int]) -> list[Promise]:
    return list(session.exec(_OPEN_ON_TICKETS, params={"ticket_ids": list(ticket_ids)}))


# Built once (see bot.store.statements): every card reads it.
_OPEN_ON_TICKETS = (
    select(Promise)
    .where(
        col(Promise.state) == OPEN,
        col(Promise.ticket_id).in_(bindparam("ticket_ids", expanding=True)),
    )
    .order_by(col(Promise.due_at), col(Promise.id))
)


def open_promises_with_tickets(*, session: Session) -> list[tuple[Promise, Ticket]]:
    """Every open promise with its mirrored ticket (promises on unmirrored tickets are left out)."""
    query = (
        select(Promise, Ticket)
        .join(Ticket, col(Ticket.id) == col(Promise.ticket_id))
        .where(col(Promise.state) == OPEN)
    )
    return list(session.exec(query).all())


def cancel_promises_on_tickets(*, session: Session, ticket_ids: list[int], at: datetime) -> None:
    """Deleted or merged tickets: their open promises leave every list."""
    for promise in open_promises_on_tickets(session=session, ticket_ids=ticket_ids):
        close_promise(session=session, promise=promise, state=CANCELLED, by="zendesk", at=at)
