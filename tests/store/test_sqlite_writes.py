"""SQLite writers in one process take turns, first come first served; readers never wait."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from bot.pools import Slots
from bot.store.db import make_engine
from bot.store.sqlite_writes import take_write_turns


def test_turns_are_given_in_the_order_they_were_asked() -> None:
    turns = Slots(1)
    assert turns.acquire(timeout=1)
    order: list[int] = []
    asked = [threading.Event() for _ in range(3)]

    def waiter(n: int) -> None:
        asked[n].set()
        assert turns.acquire(timeout=5)
        order.append(n)
        turns.release()

    threads = []
    for n in range(3):
        thread = threading.Thread(target=waiter, args=(n,))
        thread.start()
        asked[n].wait(1)
        while turns.waiting < n + 1:  # each is queued before the next one asks
            threading.Event().wait(0.001)
        threads.append(thread)
    turns.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2]


def test_a_turn_not_given_in_time_is_given_up() -> None:
    turns = Slots(1)
    assert turns.acquire(timeout=1)
    assert turns.acquire(timeout=0.01) is False
    turns.release()
    assert turns.acquire(timeout=0.01)  # the one who gave up left the queue


def test_a_writer_waits_for_the_one_writing_and_a_reader_does_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    take_write_turns(engine)
    take_write_turns(engine)  # once per engine
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    second_wrote = threading.Event()

    def second_writer() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (2)"))
        second_wrote.set()

    with engine.begin() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        # The second writer waits (at the gate); a reader goes straight in.
        assert not second_wrote.wait(0.2)
        with engine.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    thread.join(5)
    assert second_wrote.is_set()
    with engine.connect() as reader:
        assert reader.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    engine.dispose()
