"""What the Zendesk sync keeps besides the mirror: comment summaries of tickets it has not
mirrored yet, and the calls every Rotabot process made (the shared API budget)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Float, Text, bindparam, delete
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from bot.store.bulk_writes import Row, insert_rows, table_of, update_rows_by_id
from bot.store.driver import driver_statement
from bot.store.types import UTCDateTime

WINDOW = 60.0


class PendingComments(SQLModel, table=True):
    """The comment summary of a ticket whose events came before the ticket did."""

    __tablename__ = "pending_comments"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    last_agent_public_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_agent_public_reply_by: int | None = Field(default=None, sa_type=BigInteger)
    last_requester_comment_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_comment: str | None = Field(default=None, sa_type=Text)
    last_comment_id: int | None = Field(default=None, sa_type=BigInteger)


class ZendeskBudget(SQLModel, table=True):
    """The Zendesk budget every process shares, per kind of call (on PostgreSQL): a ring of the
    last 2,500 calls (Zendesk's largest budget a minute), and the slot the next call takes."""

    __tablename__ = "zendesk_budget"

    kind: str = Field(primary_key=True, max_length=16)
    next: int


class ZendeskBudgetSlot(SQLModel, table=True):
    """When one of the last calls of a kind was made (the database's clock, in seconds)."""

    __tablename__ = "zendesk_budget_slot"

    kind: str = Field(primary_key=True, max_length=16)
    slot: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: float = Field(sa_type=Float)


# Built once (see bot.store.statements): every ticket fetched for a card runs these.
_PENDING = sa_select(table_of(PendingComments)).where(
    table_of(PendingComments).c.id.in_(bindparam("ticket_ids", expanding=True))
)
_FORGET_PENDING = delete(table_of(PendingComments)).where(
    table_of(PendingComments).c.id.in_(bindparam("ticket_ids", expanding=True))
)


def pending_comments(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Row]:
    if not ticket_ids:
        return {}
    found = session.connection().execute(_PENDING, {"ticket_ids": sorted(ticket_ids)})
    return {row.id: dict(row._mapping) for row in found}


def save_pending_comments(*, session: Session, rows: Sequence[Row], known: Collection[int]) -> None:
    table = table_of(PendingComments)
    insert_rows(session, table, [row for row in rows if row["id"] not in known])
    update_rows_by_id(session, table, [row for row in rows if row["id"] in known])


def forget_pending_comments(*, session: Session, ticket_ids: Collection[int]) -> None:
    if ticket_ids:
        session.execute(_FORGET_PENDING, {"ticket_ids": sorted(ticket_ids)})


class DatabaseBudget:
    """Every process's Zendesk calls in one ring per kind, the last 2,500 (Zendesk's largest
    budget a minute), each noted in a slot. A call may go when the call `limit` calls back is
    outside the window, and it takes the next slot, so together the processes never make more
    than `limit` calls of a kind in any 60 seconds, whatever budget each was started with.

    A claim is one statement in autocommit, the database's `claim_zendesk_call`, or for
    several calls at once `claim_zendesk_calls` (see their migrations): one round trip, with
    the ring's row lock held only while the database runs it, and the same few rows read
    whatever the limit. (Held across round trips, the lock waited on the holder's process, and
    so on every thread of it queued for the interpreter.)
    Calls are noted on the database's clock, one for every process (`database_clock`; tests
    that move a clock of their own pass False, and their time is used). The commit does not
    wait for the disk: a crash could forget the last few claims, so for one minute after it
    the processes could make that many calls more than their share. Zendesk would answer those
    with 429 and Retry-After, which the limiter obeys.
    """

    def __init__(self, engine: Engine, *, database_clock: bool = True) -> None:
        self.engine = engine
        self.database_clock = database_clock

    def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float:
        """0 when `calls` calls may go now (they are noted), else the seconds until they all
        may (none is noted). More calls than `limit` never may: the wait is a whole window."""
        at = None if self.database_clock else now
        # Through the driver (see driver_statement): every Zendesk call claims.
        if calls == 1:
            row = driver_statement(self.engine, _CLAIM, (kind, UNUSED_LOCK_KEY, at, WINDOW, limit))
        else:
            row = driver_statement(self.engine, _CLAIM_SEVERAL, (kind, calls, at, WINDOW, limit))
        assert row is not None
        return float(row[0])


# The claim's lock_key argument, which its function has ignored since d2a7f4c9e630 (the
# ring's row lock orders the claims); kept so that the function keeps its arguments.
UNUSED_LOCK_KEY = 0
# Typed as the function's arguments: the driver sends each value as it comes.
_CLAIM = (
    "SELECT claim_zendesk_call(CAST(%s AS varchar), CAST(%s AS bigint),"
    " CAST(%s AS double precision), CAST(%s AS double precision), CAST(%s AS integer))"
)
_CLAIM_SEVERAL = (
    "SELECT claim_zendesk_calls(CAST(%s AS varchar), CAST(%s AS integer),"
    " CAST(%s AS double precision), CAST(%s AS double precision), CAST(%s AS integer))"
)
