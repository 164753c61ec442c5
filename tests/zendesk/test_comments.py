"""Reading many tickets' comments at once, with threads and worker processes, over HTTP."""

from __future__ import annotations

import pytest

from bot.zendesk import comments
from bot.zendesk.client import ZendeskClient, ZendeskNotAllowed
from bot.zendesk.comments import CHUNK, CommentReader, worker_processes
from tests.fakes.zendesk_api import FakeZendesk


def tickets_with_comments(fake_zendesk: FakeZendesk, ticket_ids: range) -> None:
    """Each ticket N gets the comments "N: first" and, for even N, "N: second"."""
    for ticket_id in ticket_ids:
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
        fake_zendesk.add_comment(ticket_id, author_id=1, body=f"{ticket_id}: first")
        if ticket_id % 2 == 0:
            fake_zendesk.add_comment(ticket_id, author_id=1, body=f"{ticket_id}: second")


def bodies(found: dict[int, list[dict[str, object]] | None]) -> dict[int, list[object] | None]:
    return {
        ticket_id: None if read is None else [c["body"] for c in read]
        for ticket_id, read in found.items()
    }


def expected(ticket_id: int) -> list[object]:
    first = [f"{ticket_id}: first"]
    return first + [f"{ticket_id}: second"] if ticket_id % 2 == 0 else first


def test_a_small_batch_is_read_with_threads_in_the_order_asked(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    tickets_with_comments(fake_zendesk, range(201, 206))
    asked = [205, 201, 204, 101, 202, 203]
    with CommentReader(client, processes=2, process_batch=400) as reader:
        found = reader.read(asked)
        assert reader._pool is None
    assert list(found) == asked
    assert bodies(found) == {101: [], **{n: expected(n) for n in (205, 201, 204, 202, 203)}}
    assert len(fake_zendesk.requests_to("/api/v2/tickets/")) == 6


def test_a_ticket_deleted_before_its_comments_are_read_reads_as_none(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    tickets_with_comments(fake_zendesk, range(201, 203))
    with CommentReader(client, processes=0) as reader:
        assert bodies(reader.read([201, 999, 202])) == {
            201: ["201: first"],
            999: None,
            202: ["202: first", "202: second"],
        }


def test_other_errors_are_not_swallowed(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.fail("/api/v2/tickets/101/comments.json", status=403)
    with CommentReader(client, processes=0) as reader, pytest.raises(ZendeskNotAllowed):
        reader.read([101])


def test_without_processes_a_big_batch_stays_in_threads(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    tickets_with_comments(fake_zendesk, range(1, 11))
    with CommentReader(client, processes=0, process_batch=2) as reader:
        found = reader.read(list(range(1, 11)))
        assert reader._pool is None
    assert bodies(found) == {n: expected(n) for n in range(1, 11)}


def test_a_big_batch_is_shared_with_a_worker_process(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    # Three chunks: this process reads the first, the worker the other two (one is missing).
    asked = list(range(3 * CHUNK, 0, -1))
    tickets_with_comments(fake_zendesk, range(2, 3 * CHUNK + 1))
    with CommentReader(client, processes=1, process_batch=CHUNK) as reader:
        found = reader.read(asked)
        pool = reader._pool
        assert pool is not None
        # A second big batch reuses the processes already started.
        again = reader.read(asked[:CHUNK])
        assert reader._pool is pool
    assert reader._pool is None
    assert list(found) == asked
    assert bodies(found) == {n: None if n == 1 else expected(n) for n in asked}
    assert bodies(again) == {n: expected(n) for n in asked[:CHUNK]}
    read = fake_zendesk.requests_to("/api/v2/tickets/")
    assert sorted(r.path for r in read) == sorted(
        f"/api/v2/tickets/{n}/comments.json" for n in asked + asked[:CHUNK]
    )


@pytest.mark.parametrize(("cores", "workers"), [(None, 0), (1, 0), (2, 1), (4, 3), (16, 3)])
def test_worker_processes_leave_one_core_and_stop_at_three(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int
) -> None:
    monkeypatch.setattr(comments.os, "cpu_count", lambda: cores)
    assert worker_processes() == workers
