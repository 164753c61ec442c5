"""SQLite's change counts on a board beside the database: read without a query, published
after each commit, by every process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot.store.changes import ROTA, TICKET_CARD, _Checks
from bot.store.count_board import SUFFIX, CountBoard, count_board
from bot.store.db import make_engine, session_scope
from bot.store.remembered import Remembered
from bot.store.rota import create_rota
from tests.store.sources import Source

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def test_a_slot_only_grows(tmp_path: Path) -> None:
    board = CountBoard(tmp_path / "db-change-counts")
    assert board.read(0) == 0
    board.publish(0, 5)
    board.publish(0, 3)  # published late by a slower process: the later count stands
    assert board.read(0) == 5
    assert board.read(1) == 0
    # Another mapping of the same file (as another process has) reads the same.
    assert CountBoard(tmp_path / "db-change-counts").read(0) == 5


def test_commits_publish_their_counts_and_reads_ask_no_query(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    board = count_board(engine, lambda _engine: {})
    assert board is not None
    assert Path(f"{engine.url.database}{SUFFIX}").exists()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    source = Source(engine)
    before = ROTA.generation(source), TICKET_CARD.generation(source)
    # Beyond the database's own count, checked once a second, reading asks nothing.
    assert [s for s in statements if "change_count" not in s] == []
    with session_scope(engine) as session:
        create_rota(session=session, channel_id="C1", created_by="U1", now=NOW)
    assert ROTA.generation(source) == before[0] + 1
    assert TICKET_CARD.generation(source) == before[1]
    # A rolled-back write publishes nothing.
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        create_rota(session=session, channel_id="C2", created_by="U1", now=NOW)
        raise RuntimeError("rolled back")
    assert ROTA.generation(source) == before[0] + 1
    engine.dispose()


def test_a_write_in_another_process_is_seen_by_the_next_answer(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    answers: Remembered[int] = Remembered(ROTA)
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    def get() -> int:
        return answers.get_or_read("k", read, keep=lambda _: True, source=Source(engine))

    assert get() == 1
    assert get() == 1
    writer = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from bot.store.db import make_engine, session_scope
        from bot.store.rota import create_rota
        engine = make_engine({sqlite_url!r})
        with session_scope(engine) as session:
            create_rota(session=session, channel_id="C9", created_by="U1",
                        now=datetime(2026, 12, 1, tzinfo=UTC))
        """
    )
    subprocess.run([sys.executable, "-c", writer], cwd=ROOT, check=True, timeout=60)
    assert get() == 2
    engine.dispose()


def test_a_database_in_memory_has_no_board() -> None:
    assert count_board(make_engine("sqlite://"), lambda _engine: {}) is None
    # Named in a URI too: SQLAlchemy keeps its one connection per thread, whatever our pool.
    shared = make_engine("sqlite:///file:board?mode=memory&cache=shared&uri=true")
    assert count_board(shared, lambda _engine: {}) is None


def test_a_board_left_by_another_database_is_aligned_with_this_one(sqlite_url: str) -> None:
    """A database deleted and made again (a new count from 1) must not meet a board still at
    the old database's counts: every change would then look older than the last one seen."""
    path = Path(f"{make_engine(sqlite_url).url.database}{SUFFIX}")
    CountBoard(path).publish(ROTA.slot, 1_000)
    engine = make_engine(sqlite_url)
    source = Source(engine)
    assert ROTA.generation(source) < 1_000
    before = ROTA.generation(source)
    with session_scope(engine) as session:
        create_rota(session=session, channel_id="C1", created_by="U1", now=NOW)
    assert ROTA.generation(source) == before + 1
    engine.dispose()


def test_a_change_nobody_published_is_seen_within_a_second(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer killed after its commit, or one without the board, publishes nothing: readers
    put the database's own count on the board once a second."""
    engine = make_engine(sqlite_url)
    source = Source(engine)
    before = ROTA.generation(source)  # checked against the database: not due again for 1 s
    # A commit no session hook sees, so it is never published.
    bump = (
        "UPDATE change_count SET count = count + 1 WHERE name = 'rota'"
        if before
        else "INSERT INTO change_count (name, count) VALUES ('rota', 1)"
    )
    with engine.begin() as connection:
        connection.execute(text(bump))
    assert ROTA.generation(source) == before  # the board alone, within the second
    monkeypatch.setattr(_Checks, "EVERY", 0.0)  # as if a second had passed
    assert ROTA.generation(source) == before + 1
    engine.dispose()
