"""The Zendesk client's HTTP clients: kept between requests, a burst's extras closed."""

from __future__ import annotations

import httpx

from bot.zendesk.connections import IDLE_CLIENTS, Connections


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
