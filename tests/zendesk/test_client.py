"""The Zendesk client against the fake Zendesk over HTTP: auth, retries, errors as sentences."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.store.zendesk_sync import DatabaseBudget
from bot.zendesk.client import (
    ZendeskClient,
    ZendeskNotAllowed,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskUnavailable,
)
from bot.zendesk.comment_reads import COMMENT_READS_AT_ONCE
from bot.zendesk.limiter import Limiter
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk
from tests.store.statements_seen import statements_seen


def test_api_token_auth_reads_a_ticket(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    assert client.ticket(101)["subject"] == "Printer on fire"
    assert client.me()["role"] == "admin"
    assert [r.path for r in fake_zendesk.requests] == [
        "/api/v2/tickets/101.json",
        "/api/v2/users/me.json",
    ]


def test_wrong_credentials_are_a_sentence(fake_zendesk: FakeZendesk) -> None:
    client = ZendeskClient(base_url=fake_zendesk.url, email="bot@example.com", token="wrong")
    with pytest.raises(ZendeskNotAllowed) as caught:
        client.ticket(101)
    assert str(caught.value) == (
        "Zendesk refused Rotabot's credentials (401): check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    )


def test_unknown_ticket_is_not_found(client: ZendeskClient) -> None:
    with pytest.raises(ZendeskNotFound, match="^Zendesk says ticket 999 does not exist$"):
        client.ticket(999)


def test_forbidden_is_not_allowed(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.set_me_role("agent")
    with pytest.raises(ZendeskNotAllowed, match=r"the ticket export \(403\)"):
        client.export_tickets(start_time=0)


def test_rate_limit_is_waited_out_as_asked(
    client: ZendeskClient, fake_zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    fake_zendesk.fail("/api/v2/tickets/101", status=429, retry_after=7, times=2)
    assert client.ticket(101)["id"] == 101
    assert zendesk_waits == [7.0, 7.0]
    assert len(fake_zendesk.requests_to("/api/v2/tickets/101")) == 3


def test_a_long_rate_limit_is_reported_not_waited(
    client: ZendeskClient, fake_zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    fake_zendesk.fail("/api/v2/tickets/101", status=429, retry_after=600)
    with pytest.raises(ZendeskRateLimited, match="may call again in 600 s"):
        client.ticket(101)
    assert zendesk_waits == []


def test_server_errors_are_retried_with_backoff(
    client: ZendeskClient, fake_zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    fake_zendesk.fail("/api/v2/tickets/101", status=503, times=2)
    assert client.ticket(101)["id"] == 101
    assert zendesk_waits == [1.0, 2.0]


def test_server_errors_that_persist_are_reported(
    client: ZendeskClient, fake_zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    fake_zendesk.fail("/api/v2/tickets/101", status=500, times=10)
    with pytest.raises(ZendeskUnavailable) as caught:
        client.ticket(101)
    assert str(caught.value) == ("Zendesk is not answering (HTTP 500); try again in a few minutes")
    assert zendesk_waits == [1.0, 2.0, 4.0]


def test_connection_errors_are_retried_then_reported(zendesk_waits: list[float]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = ZendeskClient(
        base_url="https://acme.zendesk.test",
        email="a@b.c",
        token="t",
        sleep=zendesk_waits.append,
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(ZendeskUnavailable, match=r"not answering \(ConnectError\)"):
        client.ticket(1)
    assert zendesk_waits == [1.0, 2.0, 4.0]


def test_a_refused_update_says_why(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.update_ticket(101, status="closed")
    with pytest.raises(ZendeskRejected) as caught:
        client.update_ticket(101, {"priority": "high"})
    assert str(caught.value) == "Zendesk refused the change: Status: closed prevents ticket update"
    assert fake_zendesk.writes == []


def test_update_sends_the_change(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    assert client.update_ticket(101, {"priority": "urgent"})["priority"] == "urgent"
    assert [w.body for w in fake_zendesk.writes] == [{"ticket": {"priority": "urgent"}}]


def test_comments_follow_every_page(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    for n in range(105):
        fake_zendesk.add_comment(101, author_id=1, body=f"comment {n}")
    comments = client.comments(101)
    assert [c["body"] for c in comments] == [f"comment {n}" for n in range(105)]
    assert len(fake_zendesk.requests_to("/api/v2/tickets/101/comments.json")) == 2


def test_show_many_asks_in_chunks_of_100(client: ZendeskClient, fake_zendesk: FakeZendesk) -> None:
    for n in range(2, 150):
        fake_zendesk.add_user(n, name=f"User {n}", email=f"u{n}@acme.test")
    users = client.users(range(1, 150))
    assert len(users) == 149
    assert len(fake_zendesk.requests_to("/api/v2/users/show_many.json")) == 2


def test_ticket_link() -> None:
    client = ZendeskClient(base_url="https://acme.zendesk.com/", email="a@b.c", token="t")
    assert client.ticket_url(42) == "https://acme.zendesk.com/agent/tickets/42"


def test_concurrent_requests_each_have_a_connection_and_reuse_it(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda _: client.ticket(101)["id"], range(40)))
    assert found == [101] * 40
    # One connection per request in flight at once, kept for the next ones.
    opened = client.connections.kept.opened
    assert 1 <= opened <= 4
    client.ticket(101)
    assert client.connections.kept.opened == opened
    client.close()  # closes the kept ones: the next request opens its own
    client.ticket(101)
    assert client.connections.kept.opened == opened + 1


def test_behind_a_proxy_requests_go_through_httpx(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    """httpx knows proxies (HTTPS_PROXY and the like); the kept connections do not."""
    client.connections.kept.proxied = True
    assert client.ticket(101)["id"] == 101
    assert client.ticket(101)["id"] == 101
    assert client.connections.kept.opened == 0
    assert len(client.connections._made) == 1  # one httpx client, kept for the second
    client.close()


def test_export_pages_come_compressed_and_cards_do_not(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    """An export page is megabytes of JSON: asked for gzip. A ticket for a card is not."""
    for n in range(200, 240):
        fake_zendesk.add_ticket(
            n, subject=f"Ticket {n}", requester_id=1, created_at=datetime(2026, 11, 2, tzinfo=UTC)
        )
    page = client.export_tickets(start_time=0)
    assert {t["id"] for t in page.tickets} >= set(range(200, 240))
    assert fake_zendesk.compressed_answers == 1
    assert client.ticket(200)["id"] == 200
    assert fake_zendesk.compressed_answers == 1


def test_one_ticket_and_its_comments_are_read_at_once(clock: MutableClock) -> None:
    """A card waits for one round trip to Zendesk, not two: the fake holds the ticket's read and
    its comments' until both have arrived (read one after the other, neither would end)."""
    together = threading.Barrier(2, timeout=10)
    with FakeZendesk(now=clock, sleep=lambda _seconds: together.wait()) as zendesk:
        zendesk.add_ticket(201, subject="Ticket 201", requester_id=zendesk.me_id)
        zendesk.add_comment(201, author_id=zendesk.me_id, body="About 201")
        zendesk.delay("/api/v2/tickets/show_many", 1.0)
        zendesk.delay("/api/v2/tickets/201/comments", 1.0)
        client = ZendeskClient(
            base_url=zendesk.url, email=zendesk.email, token=zendesk.token, sleep=lambda _s: None
        )
        try:
            tickets, comments = client.comment_reads.tickets_and_comments([201])
        finally:
            client.close()
    assert not together.broken
    assert [ticket["id"] for ticket in tickets] == [201]
    found = comments[201]
    assert isinstance(found, list) and [c["body"] for c in found] == ["About 201"]


def test_several_tickets_comments_are_read_at_once_for_those_kept(clock: MutableClock) -> None:
    """A burst: the tickets first, then the comments of those kept (a merged one costs no
    call), several at once. The fake holds each of the first reads until all have arrived."""
    together = threading.Barrier(COMMENT_READS_AT_ONCE, timeout=10)
    with FakeZendesk(now=clock, sleep=lambda _seconds: together.wait()) as zendesk:
        ids = list(range(201, 202 + COMMENT_READS_AT_ONCE))
        for ticket_id in [*ids, 299]:
            zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=zendesk.me_id)
            zendesk.add_comment(ticket_id, author_id=zendesk.me_id, body=f"About {ticket_id}")
        for ticket_id in ids[:COMMENT_READS_AT_ONCE]:
            zendesk.delay(f"/api/v2/tickets/{ticket_id}/comments", 1.0)
        client = ZendeskClient(
            base_url=zendesk.url, email=zendesk.email, token=zendesk.token, sleep=lambda _s: None
        )
        try:
            tickets, comments = client.comment_reads.tickets_and_comments(
                [*ids, 299], keep=lambda ticket: ticket["id"] != 299
            )
        finally:
            client.close()
        asked = [r.path for r in zendesk.requests]
    assert not together.broken
    assert asked[0] == "/api/v2/tickets/show_many.json"
    assert "/api/v2/tickets/299/comments.json" not in asked
    assert [ticket["id"] for ticket in tickets] == [*ids, 299]
    assert {
        ticket_id: [c["body"] for c in found] if isinstance(found, list) else found
        for ticket_id, found in comments.items()
    } == {ticket_id: [f"About {ticket_id}"] for ticket_id in ids}


def test_reads_at_once_keep_the_callers_deadline(
    fake_zendesk: FakeZendesk, clock: MutableClock, zendesk_waits: list[float]
) -> None:
    """A caller that may not wait past its deadline (the sync) is told the budget is spent,
    by every read made for it, instead of waiting for the next minute: two calls a minute,
    four reads (the tickets, then three tickets' comments); every read has ended when the
    answer comes, and nobody waited."""
    for ticket_id in (301, 302, 303):
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
    client = ZendeskClient(
        base_url=fake_zendesk.url,
        email=fake_zendesk.email,
        token=fake_zendesk.token,
        limiter=Limiter(
            requests_per_minute=2,
            exports_per_minute=10,
            clock=lambda: clock().timestamp(),
            sleep=zendesk_waits.append,
        ),
    )
    try:
        with client.deadline(clock().timestamp() + 5):
            tickets, comments = client.comment_reads.tickets_and_comments([301, 302, 303])
    finally:
        client.close()
    assert len(tickets) == 3
    answered = sorted(type(found).__name__ for found in comments.values())
    assert answered == ["ZendeskRateLimited", "ZendeskRateLimited", "list"]
    assert zendesk_waits == []


def test_a_failed_comment_read_is_given_with_the_tickets(
    client: ZendeskClient, fake_zendesk: FakeZendesk
) -> None:
    fake_zendesk.add_ticket(102, subject="Second", requester_id=1)
    fake_zendesk.fail("/api/v2/tickets/102/comments", status=500, times=10)
    tickets, comments = client.comment_reads.tickets_and_comments([101, 102])
    assert [ticket["id"] for ticket in tickets] == [101, 102]
    assert isinstance(comments[101], list)
    assert isinstance(comments[102], ZendeskUnavailable)
    assert "HTTP 500" in str(comments[102])


class CountedBudget:
    """A shared budget that always has room, noting how many calls each claim was for."""

    def __init__(self) -> None:
        self.claims: list[int] = []
        self._lock = threading.Lock()

    def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float:
        with self._lock:
            self.claims.append(calls)
        return 0.0


def budgeted_client(
    zendesk: FakeZendesk,
    clock: MutableClock,
    shared: object,
    sleep: Callable[[float], None] = lambda _s: None,
) -> ZendeskClient:
    return ZendeskClient(
        base_url=zendesk.url,
        email=zendesk.email,
        token=zendesk.token,
        limiter=Limiter(
            requests_per_minute=100,
            exports_per_minute=10,
            clock=lambda: clock().timestamp(),
            sleep=sleep,
            shared=shared,  # type: ignore[arg-type]
        ),
    )


def test_a_burst_claims_its_comment_reads_together(
    fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    """A read of as many tickets as are read at once claims the tickets' call, then their
    comment reads in one claim; one ticket claims its two calls (ticket and comments) in one.
    Every call made was claimed, and no more."""
    ids = list(range(401, 401 + COMMENT_READS_AT_ONCE))
    for ticket_id in ids:
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
        fake_zendesk.add_comment(ticket_id, author_id=1, body=f"About {ticket_id}")
    budget = CountedBudget()
    client = budgeted_client(fake_zendesk, clock, budget)
    try:
        tickets, comments = client.comment_reads.tickets_and_comments(ids)
        assert len(tickets) == len(ids) and all(isinstance(c, list) for c in comments.values())
        assert budget.claims == [1, COMMENT_READS_AT_ONCE]
        client.comment_reads.tickets_and_comments([401])
        assert budget.claims == [1, COMMENT_READS_AT_ONCE, 2]
        assert len(client.limiter._calls) == sum(budget.claims) == len(fake_zendesk.requests)
    finally:
        client.close()


def test_a_prepaid_call_claims_again_when_it_is_retried(
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
    zendesk_sleep: Callable[[float], None],
    zendesk_waits: list[float],
) -> None:
    """Only a call's first attempt was claimed together with the others: its retry after a
    429 is another call, and claims its own."""
    for ticket_id in (401, 402):
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
    fake_zendesk.fail("/api/v2/tickets/402/comments", status=429, retry_after=3, times=1)
    budget = CountedBudget()
    client = budgeted_client(fake_zendesk, clock, budget, zendesk_sleep)
    try:
        _tickets, comments = client.comment_reads.tickets_and_comments([401, 402])
    finally:
        client.close()
    assert isinstance(comments[402], list)
    assert zendesk_waits == [3.0]
    assert budget.claims == [1, 2, 1]
    assert len(fake_zendesk.requests) == 4


def test_a_burst_on_postgresql_notes_every_call_in_two_claims(
    pg_url: str, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    """On the budget every process shares: the tickets' call and their comment reads, all
    noted in the ring, in two round trips to the database."""
    ids = list(range(401, 401 + COMMENT_READS_AT_ONCE))
    for ticket_id in ids:
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
    engine = create_engine(pg_url)
    DatabaseBudget(engine).claim("warm", limit=5, now=0.0)  # the pool's first connection
    seen = statements_seen(engine)
    client = budgeted_client(fake_zendesk, clock, DatabaseBudget(engine))
    try:
        client.comment_reads.tickets_and_comments(ids)
    finally:
        client.close()
    claims = [statement.split("(")[0] for statement, _autocommit in seen.statements]
    assert claims == ["SELECT claim_zendesk_call", "SELECT claim_zendesk_calls"]
    with engine.connect() as connection:
        noted = connection.execute(
            text("SELECT count(*) FROM zendesk_budget_slot WHERE kind = 'account'")
        ).scalar_one()
    assert noted == 1 + len(ids) == len(fake_zendesk.requests)
    engine.dispose()


class FullBudget(CountedBudget):
    """A shared budget with room for one call at a time, never for several together."""

    def claim(self, kind: str, *, limit: int, now: float, calls: int = 1) -> float:
        super().claim(kind, limit=limit, now=now, calls=calls)
        return 30.0 if calls > 1 else 0.0


def test_calls_that_do_not_fit_together_now_each_claim_their_own_without_waiting(
    fake_zendesk: FakeZendesk, clock: MutableClock, zendesk_waits: list[float]
) -> None:
    """prepay asks once and never waits for room for all: refused, each read claims its own
    as it would have, and nobody waited for the budget."""
    for ticket_id in (401, 402, 403):
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
    budget = FullBudget()
    client = budgeted_client(fake_zendesk, clock, budget)
    try:
        _tickets, comments = client.comment_reads.tickets_and_comments([401, 402, 403])
    finally:
        client.close()
    assert all(isinstance(found, list) for found in comments.values())
    assert budget.claims == [1, 3, 1, 1, 1]
    assert zendesk_waits == []


def test_a_prepaid_call_still_waits_out_a_pause(
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
    zendesk_sleep: Callable[[float], None],
    zendesk_waits: list[float],
) -> None:
    """Claimed before Zendesk asked everyone to wait (a 429 elsewhere): the call waits too,
    and claims nothing more."""
    fake_zendesk.add_ticket(101, subject="Printer on fire", requester_id=1)
    budget = CountedBudget()
    client = budgeted_client(fake_zendesk, clock, budget, zendesk_sleep)
    try:
        assert client.prepay(2)
        client.limiter.pause(5)
        with client.prepaid():
            client.comments(101)
    finally:
        client.close()
    assert zendesk_waits == [5.0]
    assert budget.claims == [2]


def test_only_the_reads_that_start_at_once_are_claimed_together_and_pages_claim_their_own(
    fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    """A burst larger than the reads made at once: those claim together, the rest each as
    it starts (never counted long before it is made); a second page claims its own."""
    ids = list(range(401, 403 + COMMENT_READS_AT_ONCE))
    for ticket_id in ids:
        fake_zendesk.add_ticket(ticket_id, subject=f"Ticket {ticket_id}", requester_id=1)
    for n in range(101):  # two pages
        fake_zendesk.add_comment(ids[0], author_id=1, body=f"Comment {n}")
    budget = CountedBudget()
    client = budgeted_client(fake_zendesk, clock, budget)
    try:
        _tickets, comments = client.comment_reads.tickets_and_comments(ids)
    finally:
        client.close()
    first = comments[ids[0]]
    assert isinstance(first, list) and len(first) == 101
    later = len(ids) - COMMENT_READS_AT_ONCE
    assert sorted(budget.claims) == sorted([1, COMMENT_READS_AT_ONCE, *[1] * later, 1])
    assert budget.claims[:2] == [1, COMMENT_READS_AT_ONCE]
    assert sum(budget.claims) == len(fake_zendesk.requests)
