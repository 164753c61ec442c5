"""What the Zendesk sync keeps besides the mirror: comment summaries of tickets it has not
mirrored yet, and the calls every Rotabot process made (the shared API budget)."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Text, delete, func, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.bulk_writes import Row, insert_rows, table_of, update_rows_by_id
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


class ZendeskCall(SQLModel, table=True):
    """One call to Zendesk by any process, kept a minute: the budget they share."""

    __tablename__ = "zendesk_call"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    at: float = Field(sa_type=Float)


Index("ix_zendesk_call_kind_at", ZendeskCall.__table__.c.kind, ZendeskCall.__table__.c.at)  # type: ignore[attr-defined]


def pending_comments(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Row]:
    if not ticket_ids:
        return {}
    table = table_of(PendingComments)
    query = sa_select(table).where(table.c.id.in_(ticket_ids))
    return {row.id: dict(row._mapping) for row in session.connection().execute(query)}


def save_pending_comments(*, session: Session, rows: Sequence[Row], known: Collection[int]) -> None:
    table = table_of(PendingComments)
    insert_rows(session, table, [row for row in rows if row["id"] not in known])
    update_rows_by_id(session, table, [row for row in rows if row["id"] in known])


def forget_pending_comments(*, session: Session, ticket_ids: Collection[int]) -> None:
    if ticket_ids:
        session.exec(delete(PendingComments).where(col(PendingComments.id).in_(ticket_ids)))


class DatabaseBudget:
    """Every process's Zendesk calls in one table: each claims a slot under an advisory lock,
    so together they never make more than `limit` calls of a kind in any 60 seconds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, kind: str, *, limit: int, now: float) -> float:
        with Session(self.engine) as session, session.begin():
            key = zlib.crc32(f"rotabot-zendesk-budget:{kind}".encode())
            session.connection().execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            session.exec(
                delete(ZendeskCall).where(
                    col(ZendeskCall.kind) == kind, col(ZendeskCall.at) <= now - WINDOW
                )
            )
            used = session.exec(
                select(func.count()).select_from(ZendeskCall).where(col(ZendeskCall.kind) == kind)
            ).one()
            if used < limit:
                session.add(ZendeskCall(kind=kind, at=now))
                return 0.0
            frees = session.exec(
                select(ZendeskCall.at)
                .where(col(ZendeskCall.kind) == kind)
                .order_by(col(ZendeskCall.at).desc())
                .offset(limit - 1)
                .limit(1)
            ).one()
            return max(0.001, frees + WINDOW - now)
