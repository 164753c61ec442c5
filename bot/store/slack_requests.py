"""Signed Slack requests already handled, so a replay within the signature window is not."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Field, SQLModel, col

from bot.store.driver import driver_statement
from bot.store.types import UTCDateTime

# The door remembers a request before Bolt answers it: a lock held elsewhere must not
# spend Slack's three seconds.
LOCK_WAIT_MS = 300


class SeenSlackRequest(SQLModel, table=True):
    __tablename__ = "seen_slack_request"

    signature: str = Field(primary_key=True, max_length=80)
    # The request's own signed timestamp: the window it can be replayed in runs from it.
    signed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class FirstSeen:
    """A request seen for the first time, and (PostgreSQL) every change count as it came."""

    def __init__(self, counts: Mapping[str, int] | None) -> None:
        self.counts = counts


def remember_slack_request(
    engine: Engine, *, signature: str, signed_at: datetime
) -> FirstSeen | None:
    """FirstSeen the first time a signature is seen; None for a replay of that request.

    On PostgreSQL the same statement reads the change counts (bot.store.changes), so the
    request's remembered answers need no round trip of their own to check them.

    One statement in one round trip, committed on its own: no BEGIN, no COMMIT, no lock on
    anything but its own row. On PostgreSQL its commit does not wait for the disk: a crash may
    forget the last requests remembered, and a replay of one of those is still refused by
    Slack's signature window once it has passed, which is all a forgotten row could allow.
    Raises the driver's error when the database cannot answer in LOCK_WAIT_MS.
    """
    if engine.dialect.name == "postgresql":
        return _remember_on_postgresql(engine, signature, signed_at)
    with _one_statement(engine) as connection:
        statement = sqlite_insert(SeenSlackRequest).values(signature=signature, signed_at=signed_at)
        found = connection.execute(
            statement.on_conflict_do_nothing(index_elements=["signature"]).returning(
                col(SeenSlackRequest.signature)
            )
        ).first()
    return None if found is None else FirstSeen(None)


def _remember_on_postgresql(
    engine: Engine, signature: str, signed_at: datetime
) -> FirstSeen | None:
    """The statement through the driver (see driver_statement): every request runs it."""
    if signed_at.tzinfo is None:
        raise ValueError("refusing to store a naive datetime; pass an aware UTC instant")
    row = driver_statement(engine, _PG_REMEMBER, (signature, signed_at.astimezone(UTC)))
    return None if row is None else FirstSeen(dict(row[0] or {}))


def forget_slack_requests(engine: Engine, *, before: datetime) -> int:
    """Forget requests signed before `before` (they can never be valid again); how many.

    Raises the driver's error when the database cannot answer in LOCK_WAIT_MS.
    """
    with engine.connect() as connection, _brief_lock_wait(connection):
        with connection.begin():
            _limit_lock_wait(connection)
            result = connection.execute(
                delete(SeenSlackRequest).where(col(SeenSlackRequest.signed_at) < before)
            )
    return int(result.rowcount or 0)


# PostgreSQL: the settings go with the statement (SET LOCAL in its own implicit transaction,
# which it runs first: its row comes from them), so it needs no transaction around it. The
# lock wait bounds waiting on the same signature being remembered by another process.
_PG_REMEMBER = (
    "INSERT INTO seen_slack_request (signature, signed_at)"
    " SELECT CAST(%s AS varchar), CAST(%s AS timestamptz) FROM ("
    "SELECT set_config('synchronous_commit', 'off', true),"
    f" set_config('lock_timeout', '{LOCK_WAIT_MS}ms', true)) AS settings"
    " ON CONFLICT (signature) DO NOTHING"
    " RETURNING (SELECT json_object_agg(name, count) FROM change_count) AS counts"
)


@contextmanager
def _one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection in autocommit: the statement commits itself, in the same round trip."""
    with engine.connect() as connection, _brief_lock_wait(connection):
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


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
