"""Signed Slack requests already handled, so a replay within the signature window is not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Field, SQLModel, col

from bot.store.types import UTCDateTime

# The door remembers a request before Bolt answers it: a lock held elsewhere must not
# spend Slack's three seconds.
LOCK_WAIT_MS = 300


class SeenSlackRequest(SQLModel, table=True):
    __tablename__ = "seen_slack_request"

    signature: str = Field(primary_key=True, max_length=80)
    # The request's own signed timestamp: the window it can be replayed in runs from it.
    signed_at: datetime = Field(sa_type=UTCDateTime, index=True)


def remember_slack_request(
    engine: Engine, *, signature: str, signed_at: datetime, forget_before: datetime
) -> bool:
    """True the first time a signature is seen; False for a replay of that request.

    Raises the driver's error when the database cannot answer in LOCK_WAIT_MS.
    """
    with engine.connect() as connection, _brief_lock_wait(connection):
        try:
            # One transaction, so one commit a request: forgetting old requests, then this one.
            with connection.begin():
                _limit_lock_wait(connection)
                connection.execute(
                    delete(SeenSlackRequest).where(col(SeenSlackRequest.signed_at) < forget_before)
                )
                connection.execute(
                    insert(SeenSlackRequest).values(signature=signature, signed_at=signed_at)
                )
        except IntegrityError:
            return False
    return True


def check_writable(engine: Engine, *, now: datetime) -> None:
    """Raises whatever the driver raises when the web process cannot remember a request."""
    with engine.connect() as connection, _brief_lock_wait(connection):
        with connection.begin() as transaction:
            _limit_lock_wait(connection)
            connection.execute(
                insert(SeenSlackRequest).values(signature="health check", signed_at=now)
            )
            transaction.rollback()


def is_lock_wait(error: DBAPIError) -> bool:
    """The database is writable, but another writer held it longer than LOCK_WAIT_MS."""
    if getattr(error.orig, "sqlstate", None) == "55P03":  # PostgreSQL: lock_not_available
        return True
    return "database is locked" in str(error.orig)


@contextmanager
def _brief_lock_wait(connection: Connection) -> Iterator[None]:
    """SQLite waits for a lock as long as its connection's busy_timeout says: shorten it."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    (usual,) = raw.execute("PRAGMA busy_timeout").fetchone()
    raw.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(usual)}")


def _limit_lock_wait(connection: Connection) -> None:
    """PostgreSQL: for this transaction only."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
