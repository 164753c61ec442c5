"""What happened on each client's tickets and when, for the per-client figures: tickets
solved, our public replies, and time logged in the account's time-tracking field."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint, and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.bulk_writes import Row, insert_rows, table_of
from bot.store.escalations import Escalation
from bot.store.promises import KEPT, OPEN, Promise
from bot.store.tickets import Ticket
from bot.store.types import UTCDateTime

# ClientActivity.kind
SOLVED = "solved"
REPLY = "reply"
TIME = "time"

# A client's figures: organization id (None: tickets with no client) → a number.
PerClient = dict[int | None, float]


class ClientActivity(SQLModel, table=True):
    __tablename__ = "client_activity"
    __table_args__ = (UniqueConstraint("kind", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    ticket_id: int = Field(sa_type=BigInteger)
    organization_id: int | None = Field(default=None, sa_type=BigInteger)
    at: datetime = Field(sa_type=UTCDateTime)
    # Seconds for TIME; 1 otherwise.
    amount: int = Field(default=1, sa_type=BigInteger)
    # The Zendesk comment of a REPLY: reading the comments again records it once.
    source_id: int | None = Field(default=None, sa_type=BigInteger)


# A figure per client reads only this index: one kind over a range of time.
Index(
    "ix_client_activity_kind_at",
    ClientActivity.__table__.c.kind,  # type: ignore[attr-defined]
    ClientActivity.__table__.c.at,  # type: ignore[attr-defined]
    ClientActivity.__table__.c.organization_id,  # type: ignore[attr-defined]
    ClientActivity.__table__.c.amount,  # type: ignore[attr-defined]
)


# Comment ids asked about in one query: a first sync's page may hold tens of thousands.
IDS_PER_QUERY = 1000


def known_replies(*, session: Session, comment_ids: Collection[int]) -> set[int]:
    """Those of the comments already counted as our replies."""
    ids = sorted(comment_ids)
    known: set[int] = set()
    for first in range(0, len(ids), IDS_PER_QUERY):
        found = session.execute(_KNOWN_REPLIES, {"ids": ids[first : first + IDS_PER_QUERY]})
        known.update(source_id for source_id in found.scalars() if source_id is not None)
    return known


# Built once (see bot.store.statements): every ticket fetched from Zendesk runs it.
_KNOWN_REPLIES = sa_select(table_of(ClientActivity).c.source_id).where(
    table_of(ClientActivity).c.kind == REPLY,
    table_of(ClientActivity).c.source_id.in_(bindparam("ids", expanding=True)),
)


def record_activity(*, session: Session, rows: Sequence[Row]) -> None:
    """Each {kind, ticket_id, organization_id, at, amount, source_id}."""
    insert_rows(session, table_of(ClientActivity), rows)


def activity_per_client(
    *, session: Session, kind: str, start: datetime, end: datetime
) -> PerClient:
    query = (
        select(ClientActivity.organization_id, func.sum(ClientActivity.amount))
        .where(ClientActivity.kind == kind)
        .where(col(ClientActivity.at) >= start, col(ClientActivity.at) < end)
        .group_by(col(ClientActivity.organization_id))
    )
    return {org: float(total or 0) for org, total in session.exec(query).all()}


def opened_per_client(*, session: Session, start: datetime, end: datetime) -> PerClient:
    query = (
        select(Ticket.organization_id, func.count())
        .where(col(Ticket.created_at) >= start, col(Ticket.created_at) < end)
        .group_by(col(Ticket.organization_id))
    )
    return {org: float(count) for org, count in session.exec(query).all()}


def escalations_per_client(*, session: Session, start: datetime, end: datetime) -> PerClient:
    query = (
        select(Ticket.organization_id, func.count())
        .select_from(Escalation)
        .join(Ticket, col(Ticket.id) == col(Escalation.ticket_id))
        .where(col(Escalation.raised_at) >= start, col(Escalation.raised_at) < end)
        .group_by(col(Ticket.organization_id))
    )
    return {org: float(count) for org, count in session.exec(query).all()}


def promises_kept_per_client(*, session: Session, start: datetime, end: datetime) -> PerClient:
    """Promises kept, counted when they were kept (one kept late is also missed, below)."""
    query = (
        select(Ticket.organization_id, func.count())
        .select_from(Promise)
        .join(Ticket, col(Ticket.id) == col(Promise.ticket_id))
        .where(Promise.state == KEPT)
        .where(col(Promise.state_at) >= start, col(Promise.state_at) < end)
        .group_by(col(Ticket.organization_id))
    )
    return {org: float(count) for org, count in session.exec(query).all()}


def promises_missed_per_client(*, session: Session, start: datetime, end: datetime) -> PerClient:
    """Promises that fell due in the range and were not kept by then."""
    late = and_(col(Promise.state) == KEPT, col(Promise.state_at) > col(Promise.due_at))
    query = (
        select(Ticket.organization_id, func.count())
        .select_from(Promise)
        .join(Ticket, col(Ticket.id) == col(Promise.ticket_id))
        .where(or_(col(Promise.state) == OPEN, late))
        .where(col(Promise.due_at) >= start, col(Promise.due_at) < end)
        .group_by(col(Ticket.organization_id))
    )
    return {org: float(count) for org, count in session.exec(query).all()}
