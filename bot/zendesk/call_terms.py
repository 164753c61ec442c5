"""The terms of the Zendesk calls a thread makes: how long they may wait for the budget, and
whether the next of them was claimed on the budget already."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any


class CallTerms:
    """Thread by thread, each term set for a block and put back after it (the Zendesk client
    is one, shared by every thread of a process)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def deadline(self, at: float) -> AbstractContextManager[None]:
        """Calls this thread makes inside the block give up (ZendeskRateLimited) rather than
        wait for the budget past `at` (the limiter's clock)."""
        return self._holding("deadline", at)

    def current_deadline(self) -> float | None:
        """The deadline of the calls this thread makes (see `deadline`), if it has one."""
        deadline: float | None = getattr(self._local, "deadline", None)
        return deadline

    def prepaid(self) -> AbstractContextManager[None]:
        """The first call this thread makes inside the block was claimed already (`prepay`):
        its first attempt claims nothing, though it still waits out a pause (a 429, or the
        account nearly spent). Its next pages and its retries claim as usual."""
        return self._holding("prepaid", True)

    def _take_prepaid(self) -> bool:
        """Whether this thread's next call was claimed already; it is then no longer."""
        prepaid = bool(getattr(self._local, "prepaid", False))
        self._local.prepaid = False
        return prepaid

    @contextmanager
    def _holding(self, term: str, value: Any) -> Iterator[None]:
        before = getattr(self._local, term, None)
        setattr(self._local, term, value)
        try:
            yield
        finally:
            setattr(self._local, term, before)
