"""The Slack client honours SLACK_API_URL and retries 429, 5xx and connection errors."""

from __future__ import annotations

import socket

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import make_slack_client
from tests.fakes.slack_api import FakeSlack


def test_a_429_is_waited_out_for_exactly_retry_after(fake_slack: FakeSlack) -> None:
    slept: list[float] = []
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=slept.append)
    fake_slack.fail("chat.postMessage", status=429, retry_after=7, times=2)
    answer = client.chat_postMessage(channel="C1", text="hello")
    assert answer["ok"]
    assert slept == [7.0, 7.0]
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


def test_server_errors_are_retried_with_backoff(fake_slack: FakeSlack) -> None:
    slept: list[float] = []
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=slept.append)
    fake_slack.fail("chat.postMessage", status=500, times=2)
    assert client.chat_postMessage(channel="C1", text="hello")["ok"]
    assert len(slept) == 2 and slept[0] < slept[1]


def test_a_lasting_outage_fails_the_call_after_a_few_tries(fake_slack: FakeSlack) -> None:
    slept: list[float] = []
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=slept.append)
    fake_slack.fail("chat.postMessage", status=500, times=10)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="hello")
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


def test_connection_errors_are_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slept: list[float] = []
    client = make_slack_client(
        token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/", sleep=slept.append
    )
    with pytest.raises(OSError):
        client.auth_test()
    assert len(slept) == 2


def test_calls_go_over_one_kept_connection_as_webclient_would_send_them(
    fake_slack: FakeSlack,
) -> None:
    """The same requests as slack_sdk's own WebClient makes, over one connection, not one each."""
    fake_slack.add_user("U1", name="alice")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    kept = make_slack_client(token="xoxb-test", base_url=fake_slack.url)
    before = fake_slack.connections_opened
    kept.users_info(user="U1", include_locale=True)
    kept.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    kept.auth_test()
    assert fake_slack.connections_opened == before + 1
    ours = fake_slack.calls[-3:]
    plain = WebClient(token="xoxb-test", base_url=fake_slack.url)
    plain.users_info(user="U1", include_locale=True)
    plain.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    plain.auth_test()
    theirs = fake_slack.calls[-3:]
    assert [(c.method, c.args) for c in ours] == [(c.method, c.args) for c in theirs]
    for mine, sdk in zip(ours, theirs, strict=True):
        assert mine.headers["authorization"] == sdk.headers["authorization"] == "Bearer xoxb-test"
        assert mine.headers["content-type"] == sdk.headers["content-type"]
    assert ours[0].args["include_locale"] == "1"


def test_a_connection_slack_closed_while_idle_is_replaced_and_the_call_made_once(
    fake_slack: FakeSlack,
) -> None:
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url)
    client.auth_test()
    fake_slack.close_idle_connections()
    assert client.chat_postMessage(channel="C1", text="once")["ok"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_behind_a_proxy_calls_go_through_webclients_own_sending(fake_slack: FakeSlack) -> None:
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url)
    client.connections.proxied = True
    before = fake_slack.connections_opened
    client.auth_test()
    client.auth_test()
    assert fake_slack.connections_opened == before + 2  # urllib: a connection per call


def test_an_answer_that_is_not_json_is_a_slack_api_error(fake_slack: FakeSlack) -> None:
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url.replace("/api/", "/x/"))
    with pytest.raises(SlackApiError, match="non-JSON"):
        client.auth_test()
