"""PostgreSQL connections are pinged only after waiting in the pool, and one the server
dropped meanwhile is replaced before anyone uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.store import db
from bot.store.db import make_engine, session_scope

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
