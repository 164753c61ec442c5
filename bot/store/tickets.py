"""The Zendesk ticket mirror: tickets, the indexes the nudge lists walk, and the sync cursor."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, BigInteger, Column, Index, Text, bindparam, delete, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from bot.priorities import PRIORITIES
from bot.store.bulk_writes import Row, insert_rows, table_of, update_rows_by_id
from bot.store.db import utcnow
from bot.store.driver import driver_statement
from bot.store.types import LARGEST_ID, UTCDateTime

# The working set: a solved or closed ticket keeps its row but leaves every digest.
OPEN_STATUSES = ("new", "open", "pending", "hold")


def _zendesk_id(*, index: bool = False) -> int | None:
    """A Zendesk record id: 64-bit, given by Zendesk, never generated here."""
    return Field(default=None, sa_type=BigInteger, index=index)


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    subject: str = Field(default="", sa_type=Text)
    status: str = Field(max_length=16, index=True)
    priority: str | None = Field(default=None, max_length=16)
    # What the priority was before the last change we saw, for the priority-review rules.
    previous_priority: str | None = Field(default=None, max_length=16)
    requester_id: int | None = _zendesk_id()
    assignee_id: int | None = _zendesk_id(index=True)
    organization_id: int | None = _zendesk_id(index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_agent_public_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_agent_public_reply_by: int | None = _zendesk_id()
    last_requester_comment_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The start of the client's last public comment: how it reads (do they sound unhappy?).
    client_comment: str | None = Field(default=None, sa_type=Text)
    # The account's time-tracking field (ROTABOT_TIME_SPENT_FIELD), in seconds.
    time_spent: int | None = Field(default=None, sa_type=BigInteger)
    # The newest comment read; 0 when read and there were none; None when not read since
    # the ticket last changed (the next sync reads them).
    last_comment_id: int | None = _zendesk_id()
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    name: str = Field(primary_key=True, max_length=64)
    cursor: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)


# The indexes the nudge lists walk in order, so a digest reads its first lines without
# sorting (or even reading) every open ticket. Databases use a partial or expression index
# only for a query that spells the same SQL, so queries take these texts from here.
OPEN_SQL = "status IN ('new', 'open', 'pending', 'hold')"
TRIAGE_RANK_SQL = (
    "CASE priority "
    + " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(PRIORITIES))
    + f" ELSE {len(PRIORITIES)} END"
)
UNANSWERED_SINCE_SQL = "coalesce(last_agent_public_reply_at, created_at)"


def _open_index(name: str, *expressions: Any) -> Index:
    where = text(OPEN_SQL)
    return Index(name, *expressions, sqlite_where=where, postgresql_where=where)


_open_index(
    "ix_ticket_open_triage",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    text(f"({TRIAGE_RANK_SQL})"),
    Ticket.__table__.c.created_at,  # type: ignore[attr-defined]
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
_open_index(
    "ix_ticket_open_client_wrote",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    Ticket.__table__.c.last_requester_comment_at,  # type: ignore[attr-defined]
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
_open_index(
    "ix_ticket_open_unanswered",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    text(UNANSWERED_SINCE_SQL),
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
Index(
    "ix_ticket_status_priority",
    Ticket.__table__.c.status,  # type: ignore[attr-defined]
    Ticket.__table__.c.priority,  # type: ignore[attr-defined]
)
Index("ix_ticket_created_at", Ticket.__table__.c.created_at)  # type: ignore[attr-defined]


# --- tickets ------------------------------------------------------------------------------


# Built once (see bot.store.statements): cheaper than Session.get, which builds its query at
# each call for a ticket not in the session already (every card's is not).
_TICKET_BY_ID = select(Ticket).where(Ticket.id == bindparam("ticket_id"))
_TICKET_ROWS = sa_select(table_of(Ticket)).where(
    table_of(Ticket).c.id.in_(bindparam("ticket_ids", expanding=True))
)
_RELOADED = (
    select(Ticket)
    .where(col(Ticket.id).in_(bindparam("ticket_ids", expanding=True)))
    .execution_options(populate_existing=True)
)


_IN_MIRROR = sa_select(table_of(Ticket).c.id).where(table_of(Ticket).c.id == bindparam("ticket_id"))


_PG_IN_MIRROR = "SELECT 1 FROM ticket WHERE id = CAST(%s AS bigint)"


def in_mirror(engine: Engine, ticket_id: int) -> bool:
    """Whether the mirror has the ticket: one statement on a pooled connection, outside any
    transaction (no session, no BEGIN and COMMIT), for a card that may have to come from
    Zendesk instead."""
    if not 0 < ticket_id <= LARGEST_ID:
        return False
    if engine.dialect.name == "postgresql":  # every card Zendesk must give asks (see db)
        return driver_statement(engine, _PG_IN_MIRROR, (ticket_id,)) is not None
    with engine.connect() as connection:
        found = (
            connection.execution_options(isolation_level="AUTOCOMMIT")
            .execute(_IN_MIRROR, {"ticket_id": ticket_id})
            .first()
        )
    return found is not None


def ticket_by_id(*, session: Session, ticket_id: int) -> Ticket | None:
    if not 0 < ticket_id <= LARGEST_ID:
        return None  # no such ticket, and a number the column could not even hold
    return session.exec(_TICKET_BY_ID, params={"ticket_id": ticket_id}).first()


def tickets_by_ids(*, session: Session, ticket_ids: list[int]) -> dict[int, Ticket]:
    if not ticket_ids:
        return {}
    found = session.exec(select(Ticket).where(col(Ticket.id).in_(ticket_ids)))
    return {ticket.id: ticket for ticket in found}


def open_tickets(*, session: Session) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.updated_at), col(Ticket.id))
    )
    return list(session.exec(query))


def save_ticket(*, session: Session, ticket: Ticket) -> None:
    session.add(ticket)


def set_assignment(
    *, session: Session, ticket_id: int, assignee_id: int | None, tags: list[str] | None
) -> None:
    """What Rotabot just changed in Zendesk, before the next sync brings the rest."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return
    ticket.assignee_id = assignee_id
    if tags is not None:
        ticket.tags = tags
    session.add(ticket)


# --- the sync cursor ----------------------------------------------------------------------


def sync_state(*, session: Session, name: str) -> SyncState | None:
    return session.get(SyncState, name)


def save_sync_cursor(*, session: Session, name: str, cursor: str, now: datetime) -> None:
    state = session.get(SyncState, name) or SyncState(name=name)
    state.cursor = cursor
    state.updated_at = now
    state.last_error = None
    session.add(state)


def record_sync_error(*, session: Session, name: str, error: str, now: datetime) -> None:
    state = session.get(SyncState, name) or SyncState(name=name)
    state.last_error = error[:1000]
    state.updated_at = now
    session.add(state)


# --- the sync's bulk writes ---------------------------------------------------------------
# A sync page holds up to a thousand tickets: these read and write them as rows, a few
# statements a page, where the ORM would load, compare and flush each in turn.


class CommentState(NamedTuple):
    """What decides whether a mirrored ticket's comments need reading again."""

    updated_at: datetime
    last_comment_id: int | None


def comment_states(*, session: Session, ticket_ids: Collection[int]) -> dict[int, CommentState]:
    if not ticket_ids:
        return {}
    query = select(Ticket.id, Ticket.updated_at, Ticket.last_comment_id).where(
        col(Ticket.id).in_(ticket_ids)
    )
    return {
        ticket_id: CommentState(updated_at, last_comment_id)
        for ticket_id, updated_at, last_comment_id in session.exec(query)
    }


def ticket_rows(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Row]:
    """The mirrored tickets among these, each as a dict of its columns."""
    if not ticket_ids:
        return {}
    found = session.connection().execute(_TICKET_ROWS, {"ticket_ids": sorted(ticket_ids)})
    return {row.id: dict(row._mapping) for row in found}


def reloaded_tickets(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Ticket]:
    """The tickets as written, even those the session loaded before they were written as rows."""
    if not ticket_ids:
        return {}
    found = session.exec(_RELOADED, params={"ticket_ids": sorted(ticket_ids)})
    return {ticket.id: ticket for ticket in found}


def forget_tickets(*, session: Session, ticket_ids: Collection[int]) -> None:
    """Deleted or merged in Zendesk: the ticket leaves the mirror."""
    if ticket_ids:
        session.exec(delete(Ticket).where(col(Ticket.id).in_(ticket_ids)))


def write_ticket_rows(
    *, session: Session, rows: Collection[Row], mirrored: Collection[int]
) -> None:
    """Insert the new tickets and update the `mirrored` ones; every row has every column."""
    tickets = table_of(Ticket)
    insert_rows(session, tickets, [row for row in rows if row["id"] not in mirrored])
    update_rows_by_id(session, tickets, [row for row in rows if row["id"] in mirrored])
