"""Engines and sessions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, InvalidatePoolError
from sqlalchemy.pool import ConnectionPoolEntry, SingletonThreadPool
from sqlmodel import Session, create_engine

# Imported for its session events: every process that writes counts its changes for the others.
from bot.store import changes  # noqa: F401


def utcnow() -> datetime:
    return datetime.now(UTC)


class SessionSource(Protocol):
    """What opens a database session when asked: the services, in the app."""

    def session(self) -> AbstractContextManager[Session]: ...


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web process read while the worker writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL loses no integrity, only the last commits on a power cut; FULL would
    # sync the disk at every commit, and the door commits once per Slack request.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


PG_OPTIONS = "-c jit=off -c plan_cache_mode=force_custom_plan"


# SQLite connections kept in the pool: one for each thread that may read at once (the web
# server's 8 and a few of the work after acks). SQLAlchemy keeps 5 by default and closes any
# opened beyond them when they come back, so a busy moment opened and closed connections,
# each with its PRAGMAs, at every request (at fifty `/ticket`s from Zendesk at once, the web
# process answered about 300 a second so, and 330 to 390 with its connections kept).
SQLITE_CONNECTIONS_KEPT = 20


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = (
            parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
        )
        # A database in memory lives in its connection: one kept per thread, as SQLAlchemy
        # chooses for it (named here: for a URI's mode=memory it will stop choosing it).
        pool: dict[str, Any] = (
            {"poolclass": SingletonThreadPool}
            if in_memory
            else {"pool_size": SQLITE_CONNECTIONS_KEPT, "max_overflow": SQLITE_CONNECTIONS_KEPT}
        )
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        # Short queries: compiling one (JIT) can cost a hundred times what running it does.
        # And psycopg prepares a statement run five times, after which PostgreSQL may plan it
        # once for any parameters: a plan for "LIMIT $1" cannot know the limit is 50, and so
        # sorts every open ticket instead of walking an index. Plan each run for its values.
        connect_args={"options": PG_OPTIONS},
    )
    ping_after_idle(engine)
    return engine


# A pooled connection unused for this long is pinged before it is handed out again.
IDLE_BEFORE_PING_S = 1.0
# Where a pool entry keeps when it last came back to the pool (time.monotonic).
RETURNED_AT = "rotabot.returned_at"


def ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only when it has been idle a while.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip for every session (a
    swap opens two) and 2.5% of a swap's CPU, though a connection back in the pool a
    millisecond ago is as alive as it was. A server restart or an idle timeout finds
    connections that have waited; one that fails anyway is invalidated, with every connection
    older than it, by the pool, so a restart costs at most the requests in flight, as it would
    with the ping. A failed ping makes the pool connect afresh (DisconnectionError: the pool's
    documented retry).
    """

    @event.listens_for(engine.pool, "checkin")
    def returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def handed_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < IDLE_BEFORE_PING_S:
            return  # new, or back a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The server went away (a restart): every connection older than this one is
                # as dead, so the pool recycles them all, as pool_pre_ping would.
                raise InvalidatePoolError(f"idle connection found disconnected: {error}") from error
            raise DisconnectionError(f"idle connection failed its ping: {error}") from error


def door_engine(engine: Engine, *, connections: int) -> Engine:
    """The engine the request door's one statement runs on (PostgreSQL): the same database,
    in autocommit, with a pool of its own, one connection per thread that may call it.

    A pool smaller than its callers opens a connection for each caller over its size and
    closes it after one statement: a new PostgreSQL backend (a process) per request while
    busy, which cost the server more than the statement. Connections are pinged only after
    waiting (see ping_after_idle); a connection the server dropped anyway fails one request's
    replay check, which the door then handles (logged), and the pool starts afresh.
    """
    door = create_engine(
        engine.url,
        pool_size=connections,
        max_overflow=connections,  # never needed while the callers are as many as said
        isolation_level="AUTOCOMMIT",
        connect_args={"options": PG_OPTIONS},
    )
    ping_after_idle(door)
    return door


def check_database(engine: Engine) -> None:
    """Raises whatever the driver raises when the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
