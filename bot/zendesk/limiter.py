"""One limiter for every Zendesk call a process makes: pace before Zendesk has to say no.

Zendesk's budgets are per account and per minute, and shared with the team's other apps.
Rotabot keeps to its own share: at most `requests_per_minute` calls in any 60 seconds, of
which at most `exports_per_minute` incremental export calls. When Zendesk's own headers say the
account is nearly spent (`X-Rate-Limit-Remaining` under a tenth of `X-Rate-Limit`), everyone
holds off until the minute resets (`ratelimit-reset`); a 429 makes every caller wait its
`Retry-After`, however long. A caller with a deadline (the sync, before its next run) is told
instead of waiting past it.

With several processes, a `SharedBudget` (the database's, on PostgreSQL) counts every
process's calls, so together they keep to the same share.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol

log = logging.getLogger(__name__)

WINDOW = 60.0
# The account is "nearly spent" when less than this share of its minute is left.
RESERVE_SHARE = 0.1
# Claims on a shared budget made at once by one process: one holds the budget ring's row
# lock while the next is ready to take it.
CLAIMS_AT_ONCE = 2


class SharedBudget(Protocol):
    """Calls counted across processes: `claim` returns 0 when one may go now, else the wait."""

    def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float: ...


class OutOfTime(Exception):
    """Waiting for the budget would run past the caller's deadline."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the Zendesk budget frees up in {wait:.0f} s")
        self.wait = wait


class Limiter:
    def __init__(
        self,
        *,
        requests_per_minute: int,
        exports_per_minute: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedBudget | None = None,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.exports_per_minute = exports_per_minute
        self.clock, self.sleep, self.shared = clock, sleep, shared
        self._lock = threading.Lock()
        self._calls: deque[float] = deque()
        self._exports: deque[float] = deque()
        self._paused_until = 0.0
        self._claiming = threading.BoundedSemaphore(CLAIMS_AT_ONCE)
        # Time already waited out: a sleep that returns early (or is only recorded, in
        # tests) still counts as waited, so a caller never spins.
        self._waited_until = 0.0
        self.waited = 0.0
        self.rate_limited = 0

    def acquire(
        self, *, export: bool = False, deadline: float | None = None, calls: int = 1
    ) -> None:
        """Block until `calls` more calls fit the budget together (they are then counted);
        OutOfTime if that is past `deadline`. More calls than the budget never fit together:
        ValueError."""
        if calls > self.requests_per_minute or (export and calls > self.exports_per_minute):
            raise ValueError(f"{calls} calls at once never fit a budget of fewer")
        while True:
            now = max(self.clock(), self._waited_until)
            wait = self._claim(now, export, calls)
            if wait <= 0:
                return
            self._wait_out(now, wait, deadline)

    def acquire_now(self, calls: int) -> bool:
        """Count `calls` calls together if they all fit the budget now (a shared budget is
        asked once); else count none and say so, without waiting."""
        if calls > self.requests_per_minute:
            return False
        return self._claim(max(self.clock(), self._waited_until), False, calls) <= 0

    def _claim(self, now: float, export: bool, calls: int) -> float:
        """0 when `calls` calls fit the budget at `now` (they are counted), else the wait."""
        with self._lock:
            wait = self._wait(now, export, calls)
            if wait > 0:
                return wait
            if self.shared is None:
                self._called(now, export, calls)
                return wait
        # Outside the lock: a claim is a round trip to the database, atomic there (the ring's
        # row lock), and the process's other callers need not queue behind it. Until this
        # call is noted below, the process's own count may let a few more through at once:
        # the shared count, which they claim too, holds. At most CLAIMS_AT_ONCE claim
        # together, each holding a pooled connection while it waits for the ring's row lock:
        # a burst of calls must not take every connection the requests' sessions need.
        with self._claiming:
            wait = self._shared_wait(now, export, calls)
        if wait <= 0:
            with self._lock:
                self._called(now, export, calls)
        return wait

    def hold_off(self, *, deadline: float | None = None) -> None:
        """Wait out a pause (a 429, or the account nearly spent) without counting a call: for
        a call already counted (acquire_now). OutOfTime if the pause outlasts `deadline`."""
        while True:
            now = max(self.clock(), self._waited_until)
            with self._lock:
                wait = self._paused_until - now
            if wait <= 0:
                return
            self._wait_out(now, wait, deadline)

    def _wait_out(self, now: float, wait: float, deadline: float | None) -> None:
        """Sleep `wait` seconds from `now`; OutOfTime instead if that is past `deadline`."""
        if deadline is not None and now + wait > deadline:
            raise OutOfTime(wait)
        self.waited += wait
        self.sleep(wait)
        with self._lock:
            self._waited_until = max(self._waited_until, now + wait)

    def _called(self, now: float, export: bool, calls: int) -> None:
        self._calls.extend([now] * calls)
        if export:
            self._exports.extend([now] * calls)

    def pause(self, seconds: float) -> None:
        """A 429: nobody calls Zendesk for `seconds`."""
        with self._lock:
            self.rate_limited += 1
            now = max(self.clock(), self._waited_until)
            self._paused_until = max(self._paused_until, now + seconds)
        log.warning("Zendesk asked Rotabot to wait %.0f s; every caller waits", seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Hold off until the minute resets when the account's budget is nearly spent."""
        limit = _number(headers.get("X-Rate-Limit") or headers.get("ratelimit-limit"))
        remaining = _number(
            headers.get("X-Rate-Limit-Remaining") or headers.get("ratelimit-remaining")
        )
        if limit is None or remaining is None or remaining >= limit * RESERVE_SHARE:
            return
        reset = _number(headers.get("ratelimit-reset")) or WINDOW
        with self._lock:
            now = max(self.clock(), self._waited_until)
            self._paused_until = max(self._paused_until, now + reset)
        log.info(
            "Zendesk account has %d of %d calls left this minute; holding off", remaining, limit
        )

    def _wait(self, now: float, export: bool, calls: int) -> float:
        for made in (self._calls, self._exports):
            while made and made[0] <= now - WINDOW:
                made.popleft()
        waits = [self._paused_until - now]
        for made, budget, counts in (
            (self._calls, self.requests_per_minute, True),
            (self._exports, self.exports_per_minute, export),
        ):
            # `calls` more fit once the call `budget - calls` back from the latest has left.
            if counts and len(made) + calls > budget:
                waits.append(made[-(budget - calls + 1)] + WINDOW - now)
        return max(waits)

    def _shared_wait(self, now: float, export: bool, calls: int) -> float:
        assert self.shared is not None
        wait = self.shared.claim("account", limit=self.requests_per_minute, now=now, calls=calls)
        if wait <= 0 and export:
            wait = self.shared.claim("export", limit=self.exports_per_minute, now=now, calls=calls)
        return wait


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None
