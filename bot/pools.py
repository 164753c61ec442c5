"""Thread pools that give their threads back, and glibc's malloc kept to a server's needs."""

from __future__ import annotations

import ctypes
import gc
import queue
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# A pool thread with nothing to do for this long ends: after a burst the process gives back
# the threads' stacks, interpreter state and malloc caches instead of keeping its peak forever.
IDLE_THREAD_TIMEOUT = 10.0
# glibc's mallopt() parameter for the most malloc arenas (it makes up to 8 per core).
M_ARENA_MAX = -8
# Arenas for a server whose threads allocate almost only while holding the GIL.
MALLOC_ARENAS = 2
# How many threads at once run the database part of the work that follows an ack (see
# WorkTurns), and how long one waits for a turn before it goes on without one. On SQLite one
# (its writers take turns anyway, and its reads are this process's own CPU); on PostgreSQL two,
# so one session's round trips to the server overlap another's Python.
WORK_TURNS = {"sqlite": 1, "postgresql": 2}
WORK_TURN_WAIT_S = 2.0
# Threads for work nobody is waiting on (Services.background): at most this many share the
# GIL with the requests being answered, however many such tasks a burst leaves.
BACKGROUND_THREADS = 2


def _libc_function(name: str) -> Any:
    """A function of the process's own C library, or None where it has none (not glibc)."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas; call before the server starts its threads.

    glibc gives threads that allocate at the same moment separate arenas, up to 8 per core, and
    an arena keeps its freed memory. Python threads allocate almost only while holding the GIL,
    so the extra arenas buy next to no parallelism: they only hold memory. With the work pool
    at 217 threads they were 8-9 MB of RSS more than two arenas (same as MALLOC_ARENA_MAX=2).
    False where the C library is not glibc.
    """
    mallopt = _libc_function("mallopt")
    return bool(mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1)


def freeze_startup_heap() -> None:
    """Leave everything built at start out of the garbage collector's full passes.

    A server builds its app once (Bolt and its listeners, SQLAlchemy's mappers and compiled
    statements, the Slack and Zendesk clients: some 136,000 objects) and keeps it for good. A
    full collection walks every tracked object, and no request moves while it does: that was
    the p99 of busy moments (measured: `/rota swap` at c10, p95 60 ms and p99 100 ms; with the
    start-up heap frozen, p99 67 ms). What requests allocate is collected as before.
    """
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    """Hand the pages malloc holds free back to the system (glibc's malloc_trim; else nothing)."""
    malloc_trim = _libc_function("malloc_trim")
    if malloc_trim is not None:
        malloc_trim(0)


class _Task:
    """One submitted call and the future that gets its outcome."""

    def __init__(self, future: Future[Any], call: Callable[[], Any]) -> None:
        self.future = future
        self.call = call

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.call()
        except BaseException as error:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)


class ElasticThreadPool(Executor):
    """A thread pool that grows like ThreadPoolExecutor and shrinks again when idle.

    Like ThreadPoolExecutor it starts a thread whenever a task would otherwise wait for one,
    so below `max_workers` a listener's ack never queues behind slow work. Unlike it, a thread
    with nothing to do for `idle_timeout` seconds ends, and when the last one has, the pool
    hands malloc's free pages back: ThreadPoolExecutor keeps every thread a burst started
    until the process exits, each with its stack, interpreter state and malloc arena share.
    """

    def __init__(
        self,
        max_workers: int,
        *,
        thread_name_prefix: str,
        idle_timeout: float = IDLE_THREAD_TIMEOUT,
    ) -> None:
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self._prefix = thread_name_prefix
        self._work: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._waiting = 0  # threads waiting for a task
        self._queued = 0  # tasks submitted and not yet taken by a thread
        self._started = 0
        self._shut_down = False
        # Like ThreadPoolExecutor: work already submitted finishes before the interpreter exits.
        _pools.add(self)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._shut_down:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queued += 1
            self._work.put(_Task(future, lambda: fn(*args, **kwargs)))
            if self._queued > self._waiting and len(self._threads) < self.max_workers:
                self._started += 1
                thread = threading.Thread(
                    target=self._serve, name=f"{self._prefix}_{self._started}", daemon=True
                )
                self._threads.add(thread)
                thread.start()
        return future

    def _serve(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                self._waiting += 1
            try:
                task = self._work.get(timeout=self.idle_timeout)
                timed_out = False
            except queue.Empty:
                task, timed_out = None, True
            with self._lock:
                self._waiting -= 1
                if timed_out and self._queued > 0:
                    continue  # submitted as the wait ran out, counting on this thread
                if task is None:  # idle for idle_timeout, or shut down
                    self._threads.discard(me)
                    drained = timed_out and not self._threads
                    break
                self._queued -= 1
            task.run()
            del task  # let go of the finished call's arguments and result while waiting
        if drained:
            release_free_memory()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut_down = True
            if cancel_futures:
                while True:
                    try:
                        task = self._work.get_nowait()
                    except queue.Empty:
                        break
                    if task is not None:
                        self._queued -= 1
                        task.future.cancel()
            threads = list(self._threads)
            for _ in threads:
                self._work.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def thread_count(self) -> int:
        with self._lock:
            return len(self._threads)


_pools: weakref.WeakSet[ElasticThreadPool] = weakref.WeakSet()


def _finish_pools() -> None:
    for pool in list(_pools):
        pool.shutdown(wait=True)


threading._register_atexit(_finish_pools)  # type: ignore[attr-defined]


class Slots:
    """A first-come-first-served semaphore: each waiter is woken when its own turn comes
    (threading.Semaphore lets a newcomer in before those already waiting)."""

    def __init__(self, slots: int) -> None:
        if slots <= 0:
            raise ValueError("slots must be greater than 0")
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        """True once a slot is ours; False if `timeout` seconds passed first."""
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return True
            mine = threading.Event()
            self._waiting.append(mine)
        if mine.wait(timeout):
            return True  # handed straight to us by a release
        with self._lock:
            if mine.is_set():  # given to us just as we gave up: ours after all
                return True
            self._waiting.remove(mine)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    @property
    def free(self) -> int:
        return self._free

    @property
    def waiting(self) -> int:
        return len(self._waiting)


class WorkTurns:
    """At most `slots` threads at a time inside `turn()`, first come first served.

    The work that follows an ack is mostly Python (the ORM, building messages) run under the
    one GIL of the process. Fifty such threads at once finish no sooner than three at a time,
    since the GIL runs one at a time anyway: but each of them takes fifty times as long, holds
    SQLite's write turn (or a PostgreSQL row lock) that much longer while the others wait on
    it, and the switches between them cost CPU of their own (measured: a `/rota swap` cost
    6.3 ms of CPU alone and 9-10 ms among ten or fifty at once; the last of fifty answered
    after 1.2 s, against 0.46 s taking turns). So the database part of that work takes turns,
    and the waits on Slack and Zendesk between its parts do not.

    Only threads inside `taking()` take turns; a thread holding one may enter again (a session
    inside a session); a thread that has waited `wait` seconds goes on without one, so a wait
    among turn holders can never become a deadlock, only a moment of more threads at once.
    """

    def __init__(self, slots: int = 1, *, wait: float = WORK_TURN_WAIT_S) -> None:
        self.wait = wait
        self.slots = Slots(slots)
        self._local = threading.local()

    @contextmanager
    def taking(self) -> Iterator[None]:
        """This thread takes turns in `turn()` until the block ends."""
        before = getattr(self._local, "taking", False)
        self._local.taking = True
        try:
            yield
        finally:
            self._local.taking = before

    @contextmanager
    def turn(self) -> Iterator[None]:
        """A turn, when this thread takes turns and holds none already; else nothing."""
        if not getattr(self._local, "taking", False) or getattr(self._local, "held", False):
            yield
            return
        got = self.slots.acquire(self.wait)
        self._local.held = got
        try:
            yield
        finally:
            self._local.held = False
            if got:
                self.slots.release()
