"""Answers remembered until their tables change: counting commits, expiry, one read per burst."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.store.changes import Remembered, Watch
from bot.store.db import session_scope
from bot.store.rota import create_rota

WATCH = Watch({"rota"})
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_until_a_commit_writes_a_watched_table(engine: Engine) -> None:
    clock = Clock()
    answers: Remembered[int] = Remembered(WATCH, max_age=30, clock=clock)
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert answers.get_or_read("k", read, keep=lambda _: True) == 1
    assert answers.get_or_read("k", read, keep=lambda _: True) == 1
    # A commit that writes another table changes nothing.
    with session_scope(engine) as session:
        session.connection()
    assert answers.get_or_read("k", read, keep=lambda _: True) == 1
    with session_scope(engine) as session:
        create_rota(session=session, channel_id="C9", created_by="U1", now=NOW)
    assert answers.get_or_read("k", read, keep=lambda _: True) == 2
    # Too old: read again, whatever the count says.
    clock.now = 31
    assert answers.get_or_read("k", read, keep=lambda _: True) == 3
    # An answer `keep` refuses is never remembered.
    assert answers.get_or_read("other", read, keep=lambda _: False) == 4
    assert answers.get_or_read("other", read, keep=lambda _: False) == 5


def test_a_burst_of_misses_waits_for_one_read() -> None:
    answers: Remembered[str] = Remembered(WATCH)
    started, release = threading.Event(), threading.Event()
    reads: list[int] = []

    def slow_read() -> str:
        reads.append(1)
        started.set()
        release.wait(5)
        return "rota"

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(answers.get_or_read, "k", slow_read, keep=lambda _: True)
        assert started.wait(5)
        others = [
            pool.submit(answers.get_or_read, "k", slow_read, keep=lambda _: True) for _ in range(7)
        ]
        release.set()
        assert [f.result(5) for f in [first, *others]] == ["rota"] * 8
    assert len(reads) == 1
