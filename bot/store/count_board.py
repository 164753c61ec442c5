"""A SQLite database's change counts on a board every process maps into its memory.

Every remembered answer checks its count first, so the check is on the path of most requests.
Read with a query, it gives up the GIL inside SQLite and then waits to get it back behind the
other threads: measured, a quarter of the CPU of a `/rota` answered from memory at ten
requests at once. Read from the board, it is a read of eight bytes.

The board is a small file beside the database (`<database>-change-counts`), one 8-byte slot
per watch. A process that commits a change publishes the watch's new count there once the
commit has succeeded, before it goes on; a slot only ever grows (the counts in the database
are given out one commit at a time, so the highest published is the latest). Whoever reads a
count from the board and then reads the database sees every change published at or below it.

A process killed between its commit and publishing, or one that could not open the board,
leaves the board behind the database: every reading process also puts the database's own
count on the board once a second (bot.store.changes), so such a change is seen within a
second. Each process aligns the board with the database when it first opens it. Do not
delete the file while Rotabot runs.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

try:
    import fcntl
except ImportError:  # not POSIX: counts are read from the database instead
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SLOTS = 16
_SLOT = struct.Struct("<q")
SIZE = SLOTS * _SLOT.size
SUFFIX = "-change-counts"


class CountBoard:
    """The mapped file of one database's counts."""

    def __init__(self, path: Path) -> None:
        assert fcntl is not None
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < SIZE:
                os.ftruncate(descriptor, SIZE)  # new: all zeros
            self._map = mmap.mmap(descriptor, SIZE)
        except BaseException:
            os.close(descriptor)
            raise
        self._descriptor = descriptor
        # flock excludes other processes; this process's threads share one descriptor.
        self._lock = threading.Lock()

    def close(self) -> None:
        self._map.close()
        os.close(self._descriptor)

    def read(self, slot: int) -> int:
        return int(_SLOT.unpack_from(self._map, slot * _SLOT.size)[0])

    def align(self, counts: Callable[[], dict[int, int]]) -> None:
        """Every slot set to the database's count, read while no process can publish: a board
        left by another database (deleted and made again) must not stay ahead of this one's,
        nor one left behind by a process killed before it published."""
        with self._alone():
            found = counts()
            for slot in range(SLOTS):
                self._write(slot, found.get(slot, 0))

    def publish(self, slot: int, count: int) -> None:
        """The slot becomes `count`, unless another process has published a later one."""
        with self._alone():
            if count > self.read(slot):
                self._write(slot, count)

    @contextmanager
    def _alone(self) -> Iterator[None]:
        """No other thread of this process (the lock), nor other process (flock), writes."""
        assert fcntl is not None
        with self._lock:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def _write(self, slot: int, count: int) -> None:
        _SLOT.pack_into(self._map, slot * _SLOT.size, count)


_BOARDS: weakref.WeakKeyDictionary[Engine, CountBoard | None] = weakref.WeakKeyDictionary()
_BOARDS_LOCK = threading.Lock()


def count_board(engine: Engine, counts: Callable[[Engine], dict[int, int]]) -> CountBoard | None:
    """The board of a SQLite file database, aligned with `counts` (by slot) when this process
    first opens it; None for PostgreSQL (its counts come with each request's door statement),
    a database in memory, or where the board cannot be made."""
    with _BOARDS_LOCK:
        if engine in _BOARDS:
            return _BOARDS[engine]
        found = None
        database = engine.url.database
        if (
            fcntl is not None
            and engine.dialect.name == "sqlite"
            and database
            and database != ":memory:"
            and not database.startswith("file:")
        ):
            try:
                found = CountBoard(Path(f"{database}{SUFFIX}"))
            except OSError as error:
                log.error("no change-count board beside %s (%s): read by query", database, error)
                found = None
            if found is not None:
                try:
                    found.align(lambda: counts(engine))
                except SQLAlchemyError as error:  # busy, say: read by query, aligned later
                    log.warning("could not align the change-count board yet: %s", error)
                    found.close()
                    return None
        _BOARDS[engine] = found
        return found
