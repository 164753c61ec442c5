"""Reads of single records merged: requests for ids that arrive while a read is in flight
wait for it and go together in the next one, each id once (a webhook burst costs one read)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
# What reading some ids gives: each id's record, or the error that reading it raised.
ReadMany = Callable[[list[int]], dict[int, "T | Exception"]]


@dataclass
class _Slot(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    result: T | Exception | None = None


class Coalescer(Generic[T]):
    def __init__(self, *, batch: int = 100) -> None:
        self.batch = batch
        self._lock = threading.Lock()
        self._waiting: dict[int, _Slot[T]] = {}
        self._reading = False
        # Callers waiting for a read, the one reading included.
        self.callers = 0

    def get(self, record_id: int, read_many: Callable[[list[int]], dict[int, T | Exception]]) -> T:
        with self._lock:
            slot = self._waiting.setdefault(record_id, _Slot())
            lead, self._reading = not self._reading, True
            self.callers += 1
        try:
            if lead:
                self._lead(read_many)
            slot.done.wait()
        finally:
            with self._lock:
                self.callers -= 1
        if isinstance(slot.result, Exception):
            raise slot.result
        assert slot.result is not None
        return slot.result

    def _lead(self, read_many: Callable[[list[int]], dict[int, T | Exception]]) -> None:
        """Read what is waiting, and what arrived meanwhile, until nothing is."""
        while True:
            with self._lock:
                ids = sorted(self._waiting)[: self.batch]
                if not ids:
                    self._reading = False
                    return
                slots = {record_id: self._waiting.pop(record_id) for record_id in ids}
            try:
                found = read_many(ids)
            except Exception as error:  # every waiter hears of it, not only the leader
                found = dict.fromkeys(ids, error)
            for record_id, slot in slots.items():
                slot.result = found.get(record_id, LookupError(record_id))
                slot.done.set()
