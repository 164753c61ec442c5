"""PostgreSQL connections are pinged only after waiting in the pool, and one the server
dropped meanwhile is replaced before anyone uses it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.http.wsgi import HTTP_THREADS
from bot.store import db
from bot.store.db import door_engine, make_engine, session_scope
from bot.store.driver import driver_statement
from bot.store.slack_requests import remember_slack_request

# The `engine` fixture on PostgreSQL only.
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each ping the pool makes."""
    made: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        made.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return made


def backend_pid(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_back_a_moment_ago_is_not_pinged(
    engine: Engine, pings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_S", 3600.0)
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    engine: Engine, pings: list[object], monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    dropped = backend_pid(engine)
    with make_engine(db_url).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    # As if it had waited in the pool since (no real time passes).
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_S", 0.0)
    replaced = backend_pid(engine)  # no error: the ping found it dead
    assert replaced != dropped
    assert len(pings) == 1


def test_the_door_keeps_a_connection_per_thread_and_opens_no_more(engine: Engine) -> None:
    """With every web thread in the door at once, no connection is opened per request (a new
    PostgreSQL backend each): the pool holds one per thread."""
    door = door_engine(engine, connections=HTTP_THREADS)
    opened: list[object] = []
    sqlalchemy.event.listen(door, "connect", lambda *_args: opened.append(1))
    start = threading.Barrier(HTTP_THREADS, timeout=10)
    signed_at = datetime.now(UTC)

    def requests(thread: int) -> None:
        for n in range(10):
            start.wait()  # every thread in the door at once, round after round
            assert remember_slack_request(door, signature=f"v0={thread}-{n}", signed_at=signed_at)

    with ThreadPoolExecutor(max_workers=HTTP_THREADS) as pool:
        list(pool.map(requests, range(HTTP_THREADS)))
    assert 0 < len(opened) <= HTTP_THREADS
    door.dispose()


def test_a_statement_through_the_driver_on_a_dropped_connection_fails_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """Not pinged (back a moment ago), the statement finds the connection dead: SQLAlchemy's
    error, as from any execution, and the pool connects afresh for the next one."""
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_S", 3600.0)
    (dropped,) = driver_statement(engine, "SELECT pg_backend_pid()", ()) or (None,)
    with make_engine(db_url).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    with pytest.raises(sqlalchemy.exc.DBAPIError) as failed:
        driver_statement(engine, "SELECT pg_backend_pid()", ())
    assert failed.value.connection_invalidated
    (replaced,) = driver_statement(engine, "SELECT pg_backend_pid()", ()) or (None,)
    assert replaced not in (None, dropped)
    # Handed back as it was lent: in a transaction when the pool's connections are.
    with engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
