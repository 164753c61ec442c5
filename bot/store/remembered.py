"""Answers remembered by key, each good while its watch's count (bot.store.changes) is
unchanged, in every process that shares the database.

Remembered answers also expire after `max_age` seconds: 30 by default, for what no table says;
answers that only the watched tables decide keep FACTS_KEPT (ten minutes).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from bot.store.changes import SessionSource, Watch

T = TypeVar("T")


# How long an answer that only the watched tables decide is kept at most: the counts tell every
# change made through Rotabot, so this is only for a change made behind its back (by hand, in
# SQL), seen within this long.
FACTS_KEPT = 600.0


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

    def get_or_read(
        self,
        key: Hashable,
        read: Callable[[], T],
        *,
        keep: Callable[[T], bool],
        source: SessionSource,
    ) -> T:
        """The remembered answer, or `read()`'s, remembered when `keep(answer)` says so.

        Requests that miss the same key together wait for one read rather than each doing it:
        after a change, a burst of requests costs one read, not one each.
        """
        # The count is taken before reading: a write committed meanwhile makes this stale.
        generation = self.watch.generation(source)
        found = self._fresh(key, generation)
        if found is not None:
            return found[0]
        with self._lock:
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:
            found = self._fresh(key, generation)
            if found is not None:
                return found[0]
            now = self.clock()
            answer = read()
            if keep(answer):
                self.remember(key, answer, generation, at=now)
        with self._lock:
            self._reading.pop(key, None)
        return answer

    def remember(
        self, key: Hashable, answer: T, generation: int, *, at: float | None = None
    ) -> None:
        """Remember an answer read after the watch's count was `generation` (taken first)."""
        with self._lock:
            self._answers[key] = (generation, self.clock() if at is None else at, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def fresh(self, key: Hashable, source: SessionSource) -> tuple[T] | None:
        """The remembered answer (in a 1-tuple) if it is still good; None to read it again."""
        return self._fresh(key, self.watch.generation(source))

    def fresh_at(self, key: Hashable, generation: int) -> tuple[T] | None:
        """As `fresh`, with the watch's count taken already (before a transaction began)."""
        return self._fresh(key, generation)

    def _fresh(self, key: Hashable, generation: int) -> tuple[T] | None:
        now = self.clock()
        with self._lock:
            found = self._answers.get(key)
            if found is None or found[0] != generation or now - found[1] >= self.max_age:
                return None
            self._answers.move_to_end(key)
            return (found[2],)
