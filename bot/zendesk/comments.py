"""Reading the comments of many tickets at once, for the sync.

Zendesk has no way to read several tickets' comments in one request, so a page of 1,000 changed
tickets costs 1,000 requests. Each mostly waits on the network, so a few threads read at once;
and making a request and parsing its answer costs CPU that one Python process spends on one
core at a time, so a big batch (a first sync) is shared with a few worker processes as well,
each reading with its own threads. Small batches (the sync every five minutes, a webhook)
never start a process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from bot.zendesk.client import ZendeskClient, ZendeskNotFound

log = logging.getLogger(__name__)

Json = dict[str, Any]
# What a read gives for each ticket: its comments, or None when the ticket has gone.
Found = dict[int, list[Json] | None]

# Requests in flight at once from one process.
THREADS = 8
# A batch this big is shared with worker processes (a page of a first sync is 1,000).
PROCESS_BATCH = 400
# Tickets sent to a worker process at a time.
CHUNK = 50


def worker_processes() -> int:
    """One per core beyond the first, up to three; none on a single core."""
    return max(0, min(3, (os.cpu_count() or 1) - 1))


class CommentReader:
    """Reads comments with threads here and, for big batches, worker processes too.

    The processes start on the first big batch and stop when the reader closes, so a sync
    pays for starting them once, and only when it has that much to read.
    """

    def __init__(
        self,
        zendesk: ZendeskClient,
        *,
        processes: int | None = None,
        process_batch: int | None = None,
    ) -> None:
        self.zendesk = zendesk
        self.processes = worker_processes() if processes is None else processes
        self.process_batch = PROCESS_BATCH if process_batch is None else process_batch
        self._threads = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="comments")
        self._pool: Executor | None = None

    def __enter__(self) -> CommentReader:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def read(self, ticket_ids: list[int]) -> Found:
        if self.processes and len(ticket_ids) >= self.process_batch:
            return self._with_processes(ticket_ids)
        return dict(self._threads.map(_reading(self.zendesk), ticket_ids))

    def _with_processes(self, ticket_ids: list[int]) -> Found:
        if self._pool is None:
            # Spawned, not forked: the worker process runs the scheduler's threads, and a
            # forked child would inherit whatever locks they held at that instant.
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.zendesk.spec(),),
            )
        chunks = [ticket_ids[i : i + CHUNK] for i in range(0, len(ticket_ids), CHUNK)]
        # This process reads a share too, a smaller one: it also writes what was read.
        step = 2 * self.processes + 1
        mine = chunks[::step]
        theirs = [chunk for n, chunk in enumerate(chunks) if n % step]
        futures = [self._pool.submit(_read_chunk, chunk) for chunk in theirs]
        found: Found = {}
        for chunk in mine:
            found.update(self._threads.map(_reading(self.zendesk), chunk))
        for future in futures:
            found.update(future.result())
        return {ticket_id: found[ticket_id] for ticket_id in ticket_ids}


def _reading(zendesk: ZendeskClient) -> Callable[[int], tuple[int, list[Json] | None]]:
    def comments_of(ticket_id: int) -> tuple[int, list[Json] | None]:
        try:
            return ticket_id, zendesk.comments(ticket_id)
        except ZendeskNotFound:
            log.info("ticket %s was deleted before its comments could be read", ticket_id)
            return ticket_id, None

    return comments_of


# --- in a worker process ---------------------------------------------------------------

_worker: tuple[ZendeskClient, ThreadPoolExecutor] | None = None


def _start_worker(spec: dict[str, Any]) -> None:
    global _worker
    _worker = (
        ZendeskClient(**spec),
        ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="comments"),
    )


def _read_chunk(ticket_ids: Iterable[int]) -> list[tuple[int, list[Json] | None]]:
    assert _worker is not None, "the worker process was not started"
    zendesk, threads = _worker
    return list(threads.map(_reading(zendesk), ticket_ids))
