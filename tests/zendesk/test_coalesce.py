"""Reads of single records merged while one is in flight; each caller free once its own is read."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from bot.zendesk.coalesce import Coalescer

WAIT = 10.0


class Reads:
    """A read_many whose reads wait to be let go one by one, noting the ids of each."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.started = threading.Semaphore(0)
        self.go = threading.Semaphore(0)
        self.fail = False

    def __call__(self, ids: list[int]) -> dict[int, str | Exception]:
        self.batches.append(ids)
        self.started.release()
        assert self.go.acquire(timeout=WAIT)
        if self.fail:
            raise RuntimeError("Zendesk is down")
        return {record_id: f"record {record_id}" for record_id in ids}

    def next_read(self) -> None:
        assert self.started.acquire(timeout=WAIT)


def wait_for_callers(coalescer: Coalescer[str], count: int) -> None:
    deadline = threading.Event()
    for _ in range(10_000):
        if coalescer.callers >= count:
            return
        deadline.wait(0.001)  # other threads reaching the coalescer: no clock to inject
    raise AssertionError(f"only {coalescer.callers} callers arrived")


def test_a_reader_is_free_once_its_own_record_is_read_and_the_next_caller_reads_on() -> None:
    coalescer: Coalescer[str] = Coalescer()
    reads = Reads()
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(coalescer.get, 1, reads)
        reads.next_read()  # reading 1
        second = pool.submit(coalescer.get, 2, reads)
        third = pool.submit(coalescer.get, 3, reads)
        wait_for_callers(coalescer, 3)
        reads.go.release()
        # The first caller has its record without reading 2 and 3 for the others.
        assert first.result(timeout=WAIT) == "record 1"
        reads.next_read()  # 2 and 3 together, read by one of their own callers
        reads.go.release()
        assert (second.result(timeout=WAIT), third.result(timeout=WAIT)) == (
            "record 2",
            "record 3",
        )
    assert reads.batches == [[1], [2, 3]]
    assert coalescer.callers == 0


def test_callers_for_one_record_while_it_is_read_get_the_next_read_together() -> None:
    coalescer: Coalescer[str] = Coalescer()
    reads = Reads()
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(coalescer.get, 7, reads)
        reads.next_read()
        later: list[Future[str]] = [pool.submit(coalescer.get, 7, reads) for _ in range(3)]
        wait_for_callers(coalescer, 4)
        reads.go.release()
        assert first.result(timeout=WAIT) == "record 7"
        reads.next_read()
        reads.go.release()
        assert [f.result(timeout=WAIT) for f in later] == ["record 7"] * 3
    assert reads.batches == [[7], [7]]


def test_a_failed_read_reaches_every_caller_in_it_and_the_next_caller_reads_again() -> None:
    coalescer: Coalescer[str] = Coalescer()
    reads = Reads()
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(coalescer.get, 1, reads)
        reads.next_read()
        second = pool.submit(coalescer.get, 2, reads)
        wait_for_callers(coalescer, 2)
        reads.fail = True
        reads.go.release()
        with pytest.raises(RuntimeError, match="Zendesk is down"):
            first.result(timeout=WAIT)
        reads.next_read()
        reads.fail = False
        reads.go.release()
        assert second.result(timeout=WAIT) == "record 2"
    third = coalescer.get(3, lambda ids: {i: f"record {i}" for i in ids})
    assert third == "record 3"
