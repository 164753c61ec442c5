"""Reads of single records merged: requests for ids that arrive while a read is in flight
wait for it and go together in the next one, each id once (a webhook burst costs one read).

One caller at a time reads (the leader), for itself and for whoever is waiting. It leads only
until its own record is read, then hands the reading to the longest-waiting caller whose
record is not read yet: under steady load there is always someone waiting, and a leader that
read on until nobody was would keep its own caller (a person waiting for a card) until the
load stopped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
# What reading some ids gives: each id's record, or the error that reading it raised.
ReadMany = Callable[[list[int]], dict[int, "T | Exception"]]


@dataclass
class _Slot(Generic[T]):
    """One id's next read, shared by every caller that asked for it before the read began."""

    callers: list[_Caller[T]] = field(default_factory=list)
    finished: bool = False
    result: T | Exception | None = None


@dataclass(eq=False)
class _Caller(Generic[T]):
    slot: _Slot[T]
    # Set when its slot is read, or when it is handed the reading.
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False


class Coalescer(Generic[T]):
    def __init__(self, *, batch: int = 100) -> None:
        self.batch = batch
        self._lock = threading.Lock()
        self._waiting: dict[int, _Slot[T]] = {}
        # Callers in the order they came, the next leader among them (finished ones skipped).
        self._queue: deque[_Caller[T]] = deque()
        self._reading = False
        # Callers waiting for a read, the one reading included.
        self.callers = 0

    def get(self, record_id: int, read_many: Callable[[list[int]], dict[int, T | Exception]]) -> T:
        with self._lock:
            slot = self._waiting.setdefault(record_id, _Slot())
            me = _Caller(slot)
            slot.callers.append(me)
            self._queue.append(me)
            leading, self._reading = not self._reading, True
            self.callers += 1
        try:
            while not leading:
                me.wake.wait()
                with self._lock:
                    me.wake.clear()
                    if slot.finished:
                        break
                    leading, me.lead = me.lead, False
            if leading:
                self._lead(read_many, slot)
        finally:
            with self._lock:
                self.callers -= 1
        if isinstance(slot.result, Exception):
            raise slot.result
        assert slot.result is not None
        return slot.result

    def _lead(
        self, read_many: Callable[[list[int]], dict[int, T | Exception]], own: _Slot[T]
    ) -> None:
        """Read what is waiting, batch after batch, until `own` is read; then hand over."""
        try:
            while not own.finished:
                with self._lock:
                    ids = sorted(self._waiting)[: self.batch]
                    slots = {record_id: self._waiting.pop(record_id) for record_id in ids}
                if not ids:
                    return  # cannot happen while `own` waits, but never read nothing forever
                try:
                    found = read_many(ids)
                except Exception as error:  # every waiter hears of it, not only the leader
                    found = dict.fromkeys(ids, error)
                with self._lock:
                    for record_id, slot in slots.items():
                        slot.result = found.get(record_id, LookupError(record_id))
                        slot.finished = True
                        for caller in slot.callers:
                            caller.wake.set()
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        with self._lock:
            while self._queue and self._queue[0].slot.finished:
                self._queue.popleft()
            if not self._queue:
                self._reading = False
                return
            successor = self._queue.popleft()
            successor.lead = True
            successor.wake.set()
