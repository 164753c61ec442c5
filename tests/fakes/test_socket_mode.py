"""The fake Socket Mode server and apps.connections.open hold to what Slack documents."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import websocket
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode

APP_TOKEN = "xapp-1-fake"


@pytest.fixture
def sock(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        fake_slack.serve_socket_mode(server.new_url, app_token=APP_TOKEN)
        yield server


def open_url(fake_slack: FakeSlack, token: str) -> str:
    return str(WebClient(base_url=fake_slack.url).apps_connections_open(app_token=token)["url"])


def test_only_the_app_level_token_opens_a_connection(
    fake_slack: FakeSlack, sock: FakeSocketMode
) -> None:
    assert open_url(fake_slack, APP_TOKEN).startswith("ws://127.0.0.1:")
    for token, error in (("xoxb-1", "not_allowed_token_type"), ("xapp-other", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            open_url(fake_slack, token)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=APP_TOKEN, base_url=fake_slack.url).auth_test()
    assert refused.value.response["error"] == "not_allowed_token_type"


def test_hello_envelopes_acks_and_a_url_used_once(
    fake_slack: FakeSlack, sock: FakeSocketMode
) -> None:
    url = open_url(fake_slack, APP_TOKEN)
    client = websocket.create_connection(url, timeout=5)
    try:
        hello = json.loads(client.recv())
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        envelope_id = sock.send("slash_commands", {"command": "/rota", "text": ""})
        envelope = json.loads(client.recv())
        assert envelope["envelope_id"] == envelope_id
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"]
        client.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "hi"}}))
        assert sock.wait_ack(envelope_id).payload == {"text": "hi"}
        sock.disconnect(sock.connections[0], "refresh_requested")
        assert json.loads(client.recv())["reason"] == "refresh_requested"
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(url, timeout=5)
    finally:
        client.close()
    assert sock.protocol_errors == [
        "a Socket Mode URL was used that was never issued or used before"
    ]


def test_an_envelope_with_no_connection_waits_for_the_next(
    fake_slack: FakeSlack, sock: FakeSocketMode
) -> None:
    envelope_id = sock.send("events_api", {"type": "event_callback", "event": {}})
    client = websocket.create_connection(open_url(fake_slack, APP_TOKEN), timeout=5)
    try:
        assert json.loads(client.recv())["type"] == "hello"
        envelope = json.loads(client.recv())
        assert envelope["envelope_id"] == envelope_id
        assert envelope["accepts_response_payload"] is False
        client.send(json.dumps({"envelope_id": envelope_id}))
        assert sock.wait_ack(envelope_id).payload is None
    finally:
        client.close()
    sock.assert_no_protocol_errors()
