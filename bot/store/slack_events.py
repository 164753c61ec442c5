"""Slack event ids already handled, so Slack's retries are not processed twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete

from bot.store.db import utcnow
from bot.store.types import UTCDateTime


class SeenSlackEvent(SQLModel, table=True):
    __tablename__ = "seen_slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


def claim_slack_event(*, session: Session, event_id: str, now: datetime) -> bool:
    """True the first time an event id is seen; False for Slack's retries of it."""
    try:
        with session.begin_nested():
            session.add(SeenSlackEvent(event_id=event_id, seen_at=now))
    except IntegrityError:
        return False
    return True


def forget_old_slack_events(*, session: Session, now: datetime, keep: timedelta) -> None:
    session.exec(delete(SeenSlackEvent).where(col(SeenSlackEvent.seen_at) < now - keep))


def forget_slack_event(*, session: Session, event_id: str) -> None:
    """Handling the event failed: a retry of it should be processed, not skipped."""
    session.exec(delete(SeenSlackEvent).where(col(SeenSlackEvent.event_id) == event_id))
