"""Engines and sessions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
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


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        # Short queries: compiling one (JIT) can cost a hundred times what running it does.
        # And psycopg prepares a statement run five times, after which PostgreSQL may plan it
        # once for any parameters: a plan for "LIMIT $1" cannot know the limit is 50, and so
        # sorts every open ticket instead of walking an index. Plan each run for its values.
        connect_args={"options": PG_OPTIONS},
    )


def door_engine(engine: Engine) -> Engine:
    """The engine the request door's one statement runs on (PostgreSQL): the same database,
    in autocommit, with a pool of its own that does not ping each connection it hands out.

    The ping is a round trip of its own, as long as the door's statement: every request paid
    it twice. Without it, a connection the server dropped (a restart) fails one request's
    replay check, which the door then handles anyway (logged), and the pool starts afresh.
    """
    return create_engine(
        engine.url,
        pool_size=DOOR_CONNECTIONS,
        max_overflow=DOOR_CONNECTIONS,
        isolation_level="AUTOCOMMIT",
        connect_args={"options": PG_OPTIONS},
    )


# Connections the door keeps (and as many more while busy): its statement takes a millisecond,
# so few requests are ever in it at once.
DOOR_CONNECTIONS = 8


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
