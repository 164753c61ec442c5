"""Signed Slack requests already handled, so a replay within the signature window is not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete

from bot.store.types import UTCDateTime


class SeenSlackRequest(SQLModel, table=True):
    __tablename__ = "seen_slack_request"

    signature: str = Field(primary_key=True, max_length=80)
    # The request's own signed timestamp: the window it can be replayed in runs from it.
    signed_at: datetime = Field(sa_type=UTCDateTime, index=True)


def claim_slack_request(*, session: Session, signature: str, signed_at: datetime) -> bool:
    """True the first time a signature is seen; False for a replay of that request."""
    try:
        with session.begin_nested():
            session.add(SeenSlackRequest(signature=signature, signed_at=signed_at))
    except IntegrityError:
        return False
    return True


def forget_slack_requests_before(*, session: Session, before: datetime) -> None:
    session.exec(delete(SeenSlackRequest).where(col(SeenSlackRequest.signed_at) < before))


def check_writable(engine: Engine, *, now: datetime) -> None:
    """Raises whatever the driver raises when the web process cannot remember a request."""
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(insert(SeenSlackRequest).values(signature="health check", signed_at=now))
        transaction.rollback()
