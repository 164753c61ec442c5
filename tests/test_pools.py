"""The work pools: grow at once for waiting work, give idle threads back, finish what they took."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import CancelledError

import pytest

from bot.pools import (
    ElasticThreadPool,
    WorkTurns,
    freeze_startup_heap,
    limit_malloc_arenas,
    release_free_memory,
)


def wait_until(condition: object, timeout: float = 5.0) -> bool:
    """Poll a condition the pool's own threads make true (they end on their own timers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_results_and_errors_reach_the_futures() -> None:
    pool = ElasticThreadPool(4, thread_name_prefix="t")
    assert pool.submit(lambda a, b: a + b, 2, b=3).result(5) == 5

    def fail() -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        pool.submit(fail).result(5)
    pool.shutdown()


def test_waiting_work_gets_a_thread_at_once_up_to_the_limit() -> None:
    """A listener's ack must never queue behind slow work while the pool may still grow."""
    pool = ElasticThreadPool(3, thread_name_prefix="t", idle_timeout=30)
    release = threading.Event()
    started = threading.Semaphore(0)

    def slow() -> None:
        started.release()
        release.wait(5)

    slow_ones = [pool.submit(slow) for _ in range(2)]
    assert all(started.acquire(timeout=5) for _ in slow_ones)
    assert pool.submit(lambda: "ack").result(5) == "ack"  # a third thread, not a queue
    assert pool.thread_count() == 3
    queued = [pool.submit(slow) for _ in range(2)]  # beyond the limit, they wait their turn
    assert pool.thread_count() == 3
    release.set()
    for future in slow_ones + queued:
        future.result(5)
    pool.shutdown()


def test_idle_threads_end_and_the_pool_starts_again_when_needed() -> None:
    pool = ElasticThreadPool(8, thread_name_prefix="t", idle_timeout=0.05)
    release = threading.Event()
    futures = [pool.submit(release.wait, 5) for _ in range(8)]
    assert wait_until(lambda: pool.thread_count() == 8)
    release.set()
    for future in futures:
        future.result(5)
    assert wait_until(lambda: pool.thread_count() == 0)
    assert pool.submit(lambda: 7).result(5) == 7
    pool.shutdown()
    assert pool.thread_count() == 0


def test_many_bursts_leave_nothing_behind() -> None:
    pool = ElasticThreadPool(16, thread_name_prefix="t", idle_timeout=0.01)
    done = 0
    lock = threading.Lock()

    def count() -> None:
        nonlocal done
        with lock:
            done += 1

    for burst in range(30):
        futures = [pool.submit(count) for _ in range(burst % 7 + 1)]
        for future in futures:
            future.result(5)
        assert pool.thread_count() <= 16
        if burst % 5 == 0:
            time.sleep(0.02)  # let some threads time out between bursts
    assert done == sum(burst % 7 + 1 for burst in range(30))
    pool.shutdown()


def test_shutdown_finishes_taken_work_and_can_cancel_the_rest() -> None:
    pool = ElasticThreadPool(1, thread_name_prefix="t", idle_timeout=30)
    release = threading.Event()
    started = threading.Event()

    def work() -> bool:
        started.set()
        return release.wait(5)

    running = pool.submit(work)
    waiting = pool.submit(lambda: "late")
    # Taken by the pool's thread before the shutdown (a busy machine may start it late).
    assert started.wait(5)
    threading.Timer(0.05, release.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    assert running.result(5) is True
    with pytest.raises(CancelledError):
        waiting.result(5)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)


def test_malloc_helpers_are_harmless_anywhere() -> None:
    assert limit_malloc_arenas() in (True, False)
    release_free_memory()


def turn_takers(turns: WorkTurns, count: int) -> tuple[list[int], list[int], threading.Event]:
    """Start `count` threads one by one, each taking a turn and holding it until the event:
    returns the order they got in, the most inside at once, and the event."""
    inside: list[int] = []
    order: list[int] = []
    most = [0]
    lock = threading.Lock()
    gate = threading.Event()

    def work(n: int) -> None:
        with turns.taking(), turns.turn():
            with lock:
                inside.append(n)
                order.append(n)
                most[0] = max(most[0], len(inside))
            gate.wait(5)
            with turns.turn():  # a session inside a session takes no second turn
                pass
            with lock:
                inside.remove(n)

    for n in range(count):
        threading.Thread(target=work, args=(n,), daemon=True).start()
        # One at a time, so the order they asked in is known.
        assert wait_until(lambda: len(order) + turns.slots.waiting == n + 1)  # noqa: B023
    return order, most, gate


def test_work_turns_let_a_few_threads_in_at_a_time() -> None:
    turns = WorkTurns(2, wait=30)
    order, most, gate = turn_takers(turns, 6)
    assert len(order) == 2 and turns.slots.waiting == 4
    # A thread that does not take turns is never held up.
    with turns.turn():
        pass
    gate.set()
    assert wait_until(lambda: len(order) == 6 and turns.slots.free == 2)
    assert most == [2]


def test_a_thread_that_waits_too_long_for_a_turn_goes_on_without_one() -> None:
    turns = WorkTurns(1, wait=0.05)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with turns.taking(), turns.turn():
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    with turns.taking(), turns.turn():
        went_on = True  # waited 0.05 s for the holder, then went on without a turn
    assert went_on
    release.set()
    holder.join(5)
    # The holder's release left one turn free, not two.
    with turns.taking(), turns.turn():
        assert turns.slots.free == 0
    assert turns.slots.free == 1


def test_the_start_up_heap_is_left_out_of_full_collections() -> None:
    gc.unfreeze()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
