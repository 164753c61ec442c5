"""Quick work that follows an answer, run by the web thread that sent it (AfterAnswer)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Work after an answer run by the web thread that sent it (see AfterAnswer): at most this many
# at once (the web server's threads, bot.http.wsgi.HTTP_THREADS). Once a piece of work has
# taken AFTER_ANSWER_SLOW_S, none is taken for the next AFTER_ANSWER_PAUSE_S; work running that
# long is looked for every AFTER_ANSWER_WATCH_S, and the server given a thread for each. A
# server stopping waits up to AFTER_ANSWER_DRAIN_S for work running.
AFTER_ANSWER_SLOTS = 8
AFTER_ANSWER_SLOW_S = 0.5
AFTER_ANSWER_WATCH_S = 0.25
AFTER_ANSWER_PAUSE_S = 60.0
AFTER_ANSWER_DRAIN_S = 20.0


class AfterAnswer:
    """Quick work that follows an answer, run by the web thread that sent the answer.

    On the work pool, a click's work is one more thread among the process's others, all taking
    turns at the one GIL: at fifty clicks at once, some twenty-five works and eight web threads
    per process, every answer waiting behind all the others' turns. Done by the web thread
    that acked it, once the ack is written out, the work needs no other thread to wake, and a
    busy process takes no new request until one of its web threads is free: requests wait
    their turn in line, not at the GIL (measured at fifty clicks at once on PostgreSQL, paired:
    the answer's p50 142 -> 111 ms, p99 239 -> 188 ms, CPU a click 3.74 -> 3.04 ms; with
    threads kept free of such work, their clicks' work on the pool, the gain was smaller and
    uneven).

    The request door notes what a listener leaves while it answers (`answering`, `offer`) and
    runs it once the answer is written out (`run`, from the WSGI answer's close()). That holds
    the web thread, and the next request on the same kept-alive connection, for as long as the
    work takes; so:

    * only work that asks the database and Slack is offered (never Zendesk, whose budget may
      make a call wait a minute);
    * once a piece of work has taken `slow_s`, or is still running after it, no work is taken
      for `pause_s`: the work pool has it all;
    * while any is still running after `slow_s` (Slack or the database not answering), the
      server gets a thread more for each (`watch`, with waitress's thread count), so that
      held work never stops the answers.
    """

    def __init__(
        self,
        slots: int = AFTER_ANSWER_SLOTS,
        *,
        slow_s: float = AFTER_ANSWER_SLOW_S,
        pause_s: float = AFTER_ANSWER_PAUSE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots, self.slow_s, self.pause_s, self.clock = slots, slow_s, pause_s, clock
        self._local = threading.local()
        self._changed = threading.Condition()
        self._taken = 0  # offered and not yet finished
        self._started: dict[int, float] = {}  # by thread: when the work it runs started
        self._paused_until = float("-inf")
        self._stop_watching = threading.Event()
        # Told of each failure the work let escape, besides the log (tests count them).
        self.on_failure: Callable[[BaseException], None] | None = None

    @contextmanager
    def answering(self) -> Iterator[list[Callable[[], None]]]:
        """While this thread answers a request: the work left to run after its answer."""
        left: list[Callable[[], None]] = []
        self._local.left = left
        try:
            yield left
        finally:
            self._local.left = None

    def _left(self) -> list[Callable[[], None]] | None:
        """The work left by the answer this thread is giving; None when it gives none."""
        left: list[Callable[[], None]] | None = getattr(self._local, "left", None)
        return left

    def answering_here(self) -> bool:
        """Whether this thread is answering a request (so work may be offered)."""
        return self._left() is not None

    def offer(self, work: Callable[[], None]) -> bool:
        """Leave `work` to run after the answer this thread is giving; False when it must go
        elsewhere (no answer given here, `slots` works taken already, or paused)."""
        left = self._left()
        if left is None or self._paused():
            return False
        with self._changed:
            if self._taken >= self.slots:
                return False
            self._taken += 1
        left.append(work)
        return True

    def _paused(self) -> bool:
        self.stuck()  # work still running slow pauses, as work that ran slow does
        with self._changed:
            return self.clock() < self._paused_until

    def _stuck(self, now: float) -> int:
        """How many works have been running for `slow_s` or more (holding `_changed`)."""
        return sum(1 for started in self._started.values() if now - started >= self.slow_s)

    def _pause(self, now: float) -> bool:
        """Pause from now (holding `_changed`); whether a pause began (to be said unlocked)."""
        began = now >= self._paused_until
        self._paused_until = now + self.pause_s
        return began

    def _say_paused(self) -> None:
        log.warning(
            "work after an answer is slow (Slack or the database): for %.0f s it goes to the "
            "work pool",
            self.pause_s,
        )

    def run(self, left: list[Callable[[], None]]) -> None:
        """Run the work left while answering (the answer has been sent)."""
        me = threading.get_ident()
        for work in left:
            with self._changed:
                self._started[me] = self.clock()
            try:
                work()
            except Exception as error:  # work reports its own failures: this escaped that
                log.exception("work after an answer failed")
                if self.on_failure is not None:
                    self.on_failure(error)
            finally:
                with self._changed:
                    now = self.clock()
                    began = now - self._started.pop(me) >= self.slow_s and self._pause(now)
                    self._taken -= 1
                    self._changed.notify_all()
                if began:
                    self._say_paused()

    def stuck(self) -> int:
        """How many works are still running after `slow_s` (pausing, if any is)."""
        with self._changed:
            now = self.clock()
            count = self._stuck(now)
            began = count > 0 and self._pause(now)
        if began:
            self._say_paused()
        return count

    def watch(self, threads: Callable[[int], None], *, every: float) -> threading.Thread:
        """A thread that, every `every` seconds until `stop_watching`, gives `threads` the
        number of works still running after `slow_s` when it changes."""

        def watching() -> None:
            told = 0
            while not self._stop_watching.wait(every):
                count = self.stuck()
                if count != told:
                    try:
                        threads(count)
                    except Exception:  # tried again at the next look
                        log.exception("could not change the web server's threads")
                        continue
                    told = count

        watcher = threading.Thread(target=watching, name="after-answer-watch", daemon=True)
        watcher.start()
        return watcher

    def stop_watching(self) -> None:
        self._stop_watching.set()

    @property
    def taken(self) -> int:
        return self._taken

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no work offered is left to run; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._taken == 0, timeout)
