"""The Slack client honours SLACK_API_URL and retries 429, 5xx and connection errors."""

from __future__ import annotations

import socket

import pytest
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
