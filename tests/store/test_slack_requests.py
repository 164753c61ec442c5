"""The door's memory of signed Slack requests, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.store.db import make_engine
from bot.store.slack_requests import (
    SeenSlackRequest,
    check_writable,
    forget_slack_requests,
    remember_slack_request,
)
from tests.store.statements_seen import statements_seen

SIGNED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def remember(engine: Engine, signature: str, signed_at: datetime = SIGNED) -> bool:
    return remember_slack_request(engine, signature=signature, signed_at=signed_at)


def remembered(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(row.signature for row in session.exec(select(SeenSlackRequest)))


def test_a_signature_is_remembered_once_for_every_process(engine: Engine) -> None:
    assert remember(engine, "v0=aa")
    assert not remember(engine, "v0=aa")
    assert remember(engine, "v0=bb")
    assert remembered(engine) == ["v0=aa", "v0=bb"]
    with Session(engine) as session:
        found = session.exec(select(SeenSlackRequest).where(SeenSlackRequest.signature == "v0=aa"))
        assert found.one().signed_at == SIGNED


def test_old_signatures_are_forgotten(engine: Engine) -> None:
    remember(engine, "v0=old", SIGNED - timedelta(minutes=11))
    remember(engine, "v0=recent", SIGNED - timedelta(minutes=9))
    remember(engine, "v0=now")
    assert forget_slack_requests(engine, before=SIGNED - timedelta(minutes=10)) == 1
    assert remembered(engine) == ["v0=now", "v0=recent"]


def test_the_write_check_leaves_nothing_behind(engine: Engine) -> None:
    check_writable(engine, now=SIGNED)
    check_writable(engine, now=SIGNED)
    assert remembered(engine) == []


def test_remembering_is_one_statement_without_a_transaction_around_it(engine: Engine) -> None:
    """One round trip a request: no BEGIN, SET or COMMIT of its own, on either database."""
    seen = statements_seen(engine)
    assert remember(engine, "v0=one")
    assert not remember(engine, "v0=one")
    assert [(s.split()[0], autocommit) for s, autocommit in seen.statements] == [
        ("INSERT", True),
        ("INSERT", True),
    ]
    assert seen.commits == 0  # autocommit: the statement commits itself
    assert remembered(engine) == ["v0=one"]  # and it did, seen from another connection


def test_postgresql_commits_the_memory_without_waiting_for_the_disk_only(pg_url: str) -> None:
    """synchronous_commit is off for the door's own statement, not for what the connection
    runs next (the pool hands it on to writes that must reach the disk)."""
    engine = make_engine(pg_url)  # used one call at a time: one connection
    try:
        assert remember(engine, "v0=async")
        with engine.connect() as connection:
            settings = connection.exec_driver_sql(
                "SELECT current_setting('synchronous_commit'), current_setting('lock_timeout')"
            ).one()
        assert tuple(settings) == ("on", "0")
    finally:
        engine.dispose()


def test_two_processes_racing_with_one_request_handle_it_once(pg_url: str) -> None:
    """Two web processes (two pools) get the same signed request at once: one handles it."""
    engines = [make_engine(pg_url), make_engine(pg_url)]
    try:
        for round_ in range(10):
            signature = f"v0=race{round_}"
            with ThreadPoolExecutor(8) as pool:
                answers = list(
                    pool.map(remember, [engines[n % 2] for n in range(8)], [signature] * 8)
                )
            assert sum(answer is not None for answer in answers) == 1, answers
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_naive_time_is_refused(kind: str, request: pytest.FixtureRequest) -> None:
    url: Any = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    engine = make_engine(url)
    try:
        with pytest.raises(Exception, match="naive"):
            remember(engine, "v0=naive", datetime(2026, 12, 2, 10, 0))
        assert remembered(engine) == []
    finally:
        engine.dispose()
