"""Remembering answers read from the database until the tables they came from change.

`Watch` counts the commits, in this process, that wrote to a set of tables (through the ORM
or through bulk statements in an ORM session); an answer remembered at one count is stale at
the next. Another process's writes are not seen here, so remembered answers also expire after
`max_age` seconds: only the web process writes the rota, so that is a safety net.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

T = TypeVar("T")


class Watch:
    """How many commits have written to any of `tables` in this process."""

    def __init__(self, tables: set[str]) -> None:
        self.tables = frozenset(tables)
        self._mark = f"rotabot.changed:{id(self)}"
        self._count = itertools.count()
        self._generation = next(self._count)
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "do_orm_execute", self._on_execute)
        event.listen(Session, "after_commit", self._after_end)
        event.listen(Session, "after_soft_rollback", self._after_rollback)

    @property
    def generation(self) -> int:
        return self._generation

    def _after_flush(self, session: Session, _flush: UOWTransaction) -> None:
        for instance in itertools.chain(session.new, session.dirty, session.deleted):
            table = getattr(type(instance), "__tablename__", None)
            if table in self.tables:
                session.info[self._mark] = True
                return

    def _on_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(getattr(state.statement, "table", None), "name", None)
            if table in self.tables:
                state.session.info[self._mark] = True

    def _after_end(self, session: Session) -> None:
        if session.info.pop(self._mark, False):
            self._generation = next(self._count)

    def _after_rollback(self, session: Session, _previous: Any) -> None:
        # A rolled-back write changed nothing; counting it anyway only costs a re-read.
        self._after_end(session)


class Remembered(Generic[T]):
    """Answers by key, each good while its watch's count is unchanged and for `max_age` s."""

    def __init__(
        self,
        watch: Watch,
        *,
        max_age: float = 30.0,
        size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watch = watch
        self.max_age = max_age
        self.size = size
        self.clock = clock
        self._answers: OrderedDict[Hashable, tuple[int, float, T]] = OrderedDict()
        self._lock = threading.Lock()
        # One lock per key being read, so a burst of misses waits for one read.
        self._reading: dict[Hashable, threading.Lock] = {}

    def get_or_read(self, key: Hashable, read: Callable[[], T], *, keep: Callable[[T], bool]) -> T:
        """The remembered answer, or `read()`'s, remembered when `keep(answer)` says so.

        Requests that miss the same key together wait for one read rather than each doing it:
        after a change, a burst of requests costs one read, not one each.
        """
        found = self.fresh(key)
        if found is not None:
            return found[0]
        with self._lock:
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:
            found = self.fresh(key)
            if found is not None:
                return found[0]
            # The count is taken before reading: a write committed meanwhile makes this stale.
            generation, now = self.watch.generation, self.clock()
            answer = read()
            if keep(answer):
                with self._lock:
                    self._answers[key] = (generation, now, answer)
                    self._answers.move_to_end(key)
                    while len(self._answers) > self.size:
                        self._answers.popitem(last=False)
        with self._lock:
            self._reading.pop(key, None)
        return answer

    def fresh(self, key: Hashable) -> tuple[T] | None:
        """The remembered answer (in a 1-tuple) if it is still good; None to read it again."""
        generation, now = self.watch.generation, self.clock()
        with self._lock:
            found = self._answers.get(key)
            if found is None or found[0] != generation or now - found[1] >= self.max_age:
                return None
            self._answers.move_to_end(key)
            return (found[2],)
