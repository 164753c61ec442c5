"""The store on both databases: migrations, UTC timestamps, SQLite pragmas, schema checks."""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.http.wsgi import HTTP_THREADS
from bot.store.audit import audit_events, record_audit
from bot.store.db import make_engine, session_scope
from bot.store.migrate import (
    SchemaOutOfDate,
    check_schema,
    current_revision,
    head_revision,
    upgrade,
)
from bot.store.slack_events import claim_slack_event, forget_old_slack_events


def test_migrated_database_passes_the_schema_check(engine: Engine) -> None:
    check_schema(engine)
    assert current_revision(engine) == head_revision()


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())
    check_schema(engine)


def test_empty_database_is_told_to_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate, match="run `rotabot db upgrade`"):
        check_schema(engine)
    upgrade(engine)
    check_schema(engine)


def test_outdated_database_is_told_to_upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(SchemaOutOfDate, match="at migration older.*rotabot db upgrade"):
        check_schema(engine)


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    paris = timezone(timedelta(hours=1))
    local = datetime(2026, 3, 29, 3, 30, tzinfo=paris)
    with session_scope(engine) as session:
        record_audit(session=session, actor="U1", action="rota.add", scope="C1", at=local)
    with Session(engine) as session:
        [event] = audit_events(session=session, scope="C1")
    assert event.at == local
    assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
    assert event.detail == {}


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as session:
        record_audit(session=session, actor="U1", action="x", at=datetime(2026, 1, 1, 12, 0))
        session.flush()


def test_slack_event_is_claimed_once(engine: Engine) -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    with session_scope(engine) as session:
        assert claim_slack_event(session=session, event_id="Ev1", now=now)
        assert not claim_slack_event(session=session, event_id="Ev1", now=now)
        assert claim_slack_event(session=session, event_id="Ev2", now=now)
    with session_scope(engine) as session:
        forget_old_slack_events(
            session=session, now=now + timedelta(days=2), keep=timedelta(days=1)
        )
    with session_scope(engine) as session:
        assert claim_slack_event(session=session, event_id="Ev1", now=now)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_sqlite_keeps_a_connection_for_each_thread_that_reads_at_once(sqlite_url: str) -> None:
    """As many threads as the web server has read at once, twice: the second time, every one
    finds a connection kept in the pool (SQLAlchemy's default keeps five and closes the rest,
    so a busy moment opened connections, and ran their PRAGMAs, at every request)."""
    engine = make_engine(sqlite_url)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    together = threading.Barrier(HTTP_THREADS)

    def read(_n: int) -> int:
        with engine.connect() as connection:
            together.wait(timeout=10)  # every thread holds its connection at the same time
            return int(connection.exec_driver_sql("SELECT 1").scalar_one())

    for _ in range(2):
        with ThreadPoolExecutor(max_workers=HTTP_THREADS) as pool:
            assert sum(pool.map(read, range(HTTP_THREADS))) == HTTP_THREADS
        if len(opened) != HTTP_THREADS:
            break
    assert len(opened) == HTTP_THREADS
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.migrate import include_object
    from bot.store.schema import metadata

    with engine.connect() as connection, warnings.catch_warnings():
        if engine.dialect.name == "sqlite":
            # SQLite's reflection cannot read an index on expressions, so both libraries skip
            # those (and say so); they are compared below from SQLite's own catalogue.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, metadata)
    assert differences == [], "a table changed without a migration: run `rotabot db revision`"
    if engine.dialect.name == "sqlite":
        assert _expression_indexes_in_sqlite(engine) == _expression_indexes_declared(metadata)


def _expression_indexes_declared(
    metadata: MetaData,
) -> dict[str, tuple[str, tuple[str | None, ...]]]:
    """Each index on expressions the code declares: its table, and its terms in order (a
    column's name; None for an expression)."""
    return {
        str(index.name): (
            table.name,
            tuple(term.name if isinstance(term, Column) else None for term in index.expressions),
        )
        for table in metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(term, Column) for term in index.expressions)
    }


def _expression_indexes_in_sqlite(engine: Engine) -> dict[str, tuple[str, tuple[str | None, ...]]]:
    """Each index on expressions in the database, from SQLite's catalogue (index_xinfo gives
    an expression the column number -2 and no name): its table, and its terms in order."""
    found: dict[str, tuple[str, tuple[str | None, ...]]] = {}
    with engine.connect() as connection:
        indexes = connection.exec_driver_sql(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).all()
        for name, table in indexes:
            terms = connection.exec_driver_sql(f'PRAGMA index_xinfo("{name}")').all()
            keys = [term for term in terms if term[5]]  # key columns, not the rowid
            if any(term[1] == -2 for term in keys):
                found[str(name)] = (str(table), tuple(term[2] for term in keys))
    return found
