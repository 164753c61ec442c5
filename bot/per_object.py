"""One of something per object (a database engine, a Zendesk client): made on first use,
forgotten with the object."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class PerObject(Generic[K, V]):
    def __init__(self, make: Callable[[], V]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: weakref.WeakKeyDictionary[K, V] = weakref.WeakKeyDictionary()

    def of(self, key: K) -> V:
        with self._lock:
            found = self._made.get(key)
            if found is None:
                found = self._made[key] = self._make()
            return found
