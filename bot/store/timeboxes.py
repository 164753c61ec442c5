"""Time-boxes: who is on which ticket since when, as spans of time, and how long they may run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.types import UTCDateTime

# Timebox.state
RUNNING = "running"
PAUSED = "paused"
ENDED = "ended"

# Timebox.end_reason
STOPPED = "stopped"
SOLVED = "solved"


class Timebox(SQLModel, table=True):
    __tablename__ = "timebox"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    state: str = Field(default=RUNNING, max_length=16, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    # Working hours before the DM; *One more hour* adds one.
    limit_hours: float
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=16)


class TimeboxSpan(SQLModel, table=True):
    """One stretch of a time-box running; pausing ends it, resuming starts another."""

    __tablename__ = "timebox_span"

    id: int | None = Field(default=None, primary_key=True)
    timebox_id: int = Field(foreign_key="timebox.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def running_timebox(*, session: Session, user_id: str, for_update: bool = False) -> Timebox | None:
    query = select(Timebox).where(Timebox.user_id == user_id, Timebox.state == RUNNING)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def open_timebox_on(*, session: Session, user_id: str, ticket_id: int) -> Timebox | None:
    """The person's time-box on this ticket that has not ended (running or paused)."""
    query = select(Timebox).where(
        Timebox.user_id == user_id, Timebox.ticket_id == ticket_id, Timebox.state != ENDED
    )
    return session.exec(query).first()


def timebox_by_id(*, session: Session, timebox_id: int, for_update: bool = False) -> Timebox | None:
    query = select(Timebox).where(Timebox.id == timebox_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def running_timeboxes(*, session: Session) -> list[Timebox]:
    query = select(Timebox).where(Timebox.state == RUNNING).order_by(col(Timebox.id))
    return list(session.exec(query))


def unended_timeboxes(*, session: Session) -> list[Timebox]:
    """Running and paused time-boxes: at most a few per person."""
    query = select(Timebox).where(Timebox.state != ENDED).order_by(col(Timebox.id))
    return list(session.exec(query))


def spans_of(*, session: Session, timebox_ids: list[int]) -> dict[int, list[TimeboxSpan]]:
    if not timebox_ids:
        return {}
    query = (
        select(TimeboxSpan)
        .where(col(TimeboxSpan.timebox_id).in_(timebox_ids))
        .order_by(col(TimeboxSpan.started_at), col(TimeboxSpan.id))
    )
    found: dict[int, list[TimeboxSpan]] = {box_id: [] for box_id in timebox_ids}
    for span in session.exec(query):
        found[span.timebox_id].append(span)
    return found


def open_span(*, session: Session, timebox_id: int, now: datetime) -> None:
    session.add(TimeboxSpan(timebox_id=timebox_id, started_at=now))


def close_spans(*, session: Session, timebox_id: int, now: datetime) -> None:
    query = select(TimeboxSpan).where(
        TimeboxSpan.timebox_id == timebox_id, col(TimeboxSpan.ended_at).is_(None)
    )
    for span in session.exec(query):
        span.ended_at = now
        session.add(span)


def spans_between(
    *, session: Session, start: datetime, end: datetime
) -> list[tuple[TimeboxSpan, int]]:
    """Spans that overlap [start, end), each with its ticket."""
    query = (
        select(TimeboxSpan, Timebox.ticket_id)
        .join(Timebox, col(Timebox.id) == col(TimeboxSpan.timebox_id))
        .where(
            col(TimeboxSpan.started_at) < end,
            (col(TimeboxSpan.ended_at).is_(None)) | (col(TimeboxSpan.ended_at) > start),
        )
    )
    return [(span, ticket_id) for span, ticket_id in session.exec(query)]
