"""The Zendesk client's HTTP clients: kept between requests, a burst's extras closed."""

from __future__ import annotations

import gzip

import httpx
import pytest

from bot.zendesk.connections import IDLE_CLIENTS, TRANSPORT_ERRORS, Connections
from tests.test_kept import ScriptedServer


def connections() -> Connections:
    return Connections(
        base_url="https://acme.zendesk.com",
        timeout=5.0,
        headers={"Accept": "application/json"},
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})),
    )


def test_a_client_is_kept_for_the_next_request() -> None:
    pool = connections()
    with pool.client() as first:
        assert first.get("/api/v2/users/me.json").status_code == 200
    with pool.client() as second:
        assert second is first
    pool.close()


def test_clients_in_use_at_once_are_each_their_own() -> None:
    pool = connections()
    with pool.client() as one, pool.client() as two:
        assert one is not two
    pool.close()


def test_a_burst_keeps_only_enough_idle_clients_and_closes_the_rest() -> None:
    pool = connections()
    clients = [pool.client() for _ in range(IDLE_CLIENTS + 3)]
    opened = [context.__enter__() for context in clients]
    for context in clients:
        context.__exit__(None, None, None)
    assert sum(client.is_closed for client in opened) == 3
    pool.close()
    assert all(client.is_closed for client in opened)


def test_a_gzip_answer_is_read_and_a_broken_one_is_no_answer() -> None:
    body = b'{"ticket": {"id": 1}}'
    server = ScriptedServer(
        [
            (
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                % len(gzip.compress(body))
                + gzip.compress(body),
                False,
            ),
            (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", False),
        ]
    )
    pool = Connections(base_url=server.url.rsplit("/api", 1)[0], timeout=5.0, headers={})
    try:
        assert pool.send("GET", "/api/x", compressed=True).json() == {"ticket": {"id": 1}}
        with pytest.raises(TRANSPORT_ERRORS):
            pool.send("GET", "/api/x", compressed=True)
        assert [request.split(b"\r\n")[2] for request in server.requests] == [
            b"Accept-Encoding: gzip"
        ] * 2
    finally:
        pool.close()
        server.close()
