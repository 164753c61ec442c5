"""Tickets read with their comments, several tickets' comments at once.

Zendesk has no call for several tickets' comments, so a read of several tickets asks for their
comments COMMENT_READS_AT_ONCE at a time, on a small pool of the client's own: a burst of cards
or webhooks waits for a few round trips instead of one per ticket in a row. The rate limiter
paces them as any other call, and each keeps the deadline of the thread that asked; the calls
that start at once are claimed on the budget together (one round trip to a shared budget,
not one per call) when they all fit it then, else each on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from bot.pools import ElasticThreadPool
from bot.zendesk.errors import ZendeskError
from bot.zendesk.values import as_int

Json = dict[str, Any]
COMMENT_READS_AT_ONCE = 4
# Each ticket's comments being read.
Reads = dict[int, Future[list[Json]]]


class Reader(Protocol):
    """What the reads need of the Zendesk client."""

    def tickets(self, ids: Iterable[int]) -> list[Json]: ...

    def comments(self, ticket_id: int) -> list[Json]: ...

    def deadline(self, at: float) -> AbstractContextManager[None]: ...

    def current_deadline(self) -> float | None: ...

    def prepay(self, calls: int) -> bool: ...

    def prepaid(self) -> AbstractContextManager[None]: ...


class CommentReads:
    def __init__(self, client: Reader) -> None:
        self.client = client
        self._pool = ElasticThreadPool(COMMENT_READS_AT_ONCE, thread_name_prefix="zendesk-comments")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def tickets_and_comments(
        self, ticket_ids: list[int], *, keep: Callable[[Json], bool] = lambda _ticket: True
    ) -> tuple[list[Json], dict[int, list[Json] | ZendeskError]]:
        """The tickets (`tickets`) and each one's comments (`comments`), all with the calling
        thread's deadline. One ticket (a card, a webhook): its comments are asked for beside
        it, so a card waits for one round trip to Zendesk, not two (a ticket that turns out
        deleted costs that one call for nothing). Several (a burst, merged): the tickets
        first, then the comments of those `keep` keeps, COMMENT_READS_AT_ONCE at a time, so a
        deleted or merged one costs nothing.

        Each ticket's comments come with the error reading them raised instead, if one did:
        the caller, which knows which tickets it keeps, decides. The tickets' own failure is
        raised once every comment read begun has ended, and those not begun are not made."""
        if len(ticket_ids) == 1:
            # The ticket and its comments, two calls claimed together.
            prepaid = self.client.prepay(2)
            reads = self._started(ticket_ids, prepaid=prepaid)
            try:
                with self.client.prepaid() if prepaid else nullcontext():
                    tickets = self.client.tickets(ticket_ids)
            except BaseException:
                _abandon(reads)
                raise
        else:
            tickets = self.client.tickets(ticket_ids)
            reads = self._started(
                [
                    ticket_id
                    for ticket in tickets
                    if keep(ticket) and (ticket_id := as_int(ticket.get("id"))) is not None
                ]
            )
        return tickets, _gathered(reads)

    def _started(self, ticket_ids: list[int], *, prepaid: bool | None = None) -> Reads:
        """Each ticket's comments, read on the pool with this thread's deadline. The first
        calls of the reads that start at once (COMMENT_READS_AT_ONCE) are claimed together,
        unless `prepaid` says whether they were already; the others, which start as those
        end, each claim their own then, so that no call is counted long before it is made."""
        deadline = self.client.current_deadline()
        at_once = ticket_ids[:COMMENT_READS_AT_ONCE]
        if prepaid is None:
            prepaid = self.client.prepay(len(at_once))
        paid = set(at_once) if prepaid else set()

        def read(ticket_id: int) -> list[Json]:
            with (
                self.client.deadline(deadline) if deadline is not None else nullcontext(),
                self.client.prepaid() if ticket_id in paid else nullcontext(),
            ):
                return self.client.comments(ticket_id)

        return {ticket_id: self._pool.submit(read, ticket_id) for ticket_id in ticket_ids}


def _gathered(reads: Reads) -> dict[int, list[Json] | ZendeskError]:
    """Each read's comments, or the Zendesk error it raised. Any other error is raised, once
    the other reads have ended."""
    found: dict[int, list[Json] | ZendeskError] = {}
    for ticket_id, future in reads.items():
        try:
            found[ticket_id] = future.result()
        except ZendeskError as error:
            found[ticket_id] = error
        except BaseException:
            _abandon(reads)
            raise
    return found


def _abandon(reads: Reads) -> None:
    """Reads not begun are not made; those begun are waited for, so none goes on spending the
    budget, or holding the pool, for nobody."""
    for future in reads.values():
        future.cancel()
    wait(reads.values())
