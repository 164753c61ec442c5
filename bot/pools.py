"""Thread pools that give their threads back, and glibc's malloc kept to a server's needs."""

from __future__ import annotations

import ctypes
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future
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
