"""Posting to Slack: where a message landed, and a refusal that is logged, not raised."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import make_slack_client
from bot.slack.errors import NOT_IN_CHANNEL, error_code
from bot.slack.post import Sent, open_view, post, send, update
from tests.fakes.slack_api import FakeSlack


def client_of(fake_slack: FakeSlack) -> WebClient:
    return make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=lambda _: None)


def test_send_says_where_the_message_landed(fake_slack: FakeSlack) -> None:
    sent = send(client_of(fake_slack), channel="C1", text="hello", thread_ts="1.1")
    assert isinstance(sent, Sent) and sent.channel == "C1" and sent.ts
    call = fake_slack.last("chat.postMessage")
    assert call.args["text"] == "hello" and call.args["thread_ts"] == "1.1"


def test_send_raises_slacks_refusal_with_its_code(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=200, error=NOT_IN_CHANNEL)
    with pytest.raises(SlackApiError) as raised:
        send(client_of(fake_slack), channel="C1", text="hello")
    assert error_code(raised.value) == NOT_IN_CHANNEL


def test_post_logs_a_refusal_and_carries_on(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_of(fake_slack)
    fake_slack.fail("chat.postMessage", status=200, error="user_not_found")
    assert post(client, channel="U404", text="hello") is None
    assert "could not post to U404: user_not_found" in caplog.text
    assert post(client, channel="U1", text="again") is not None


def test_update_and_open_view_log_a_refusal(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_of(fake_slack)
    fake_slack.fail("chat.update", status=200, error="message_not_found")
    fake_slack.fail("views.open", status=200, error="expired_trigger_id")
    update(client, channel="C1", ts="1.1", text="done")
    open_view(client, trigger_id="t1", view={"type": "modal", "blocks": []})
    assert "message_not_found" in caplog.text
    assert "expired_trigger_id" in caplog.text


def test_a_network_failure_has_no_code() -> None:
    assert error_code(OSError("connection refused")) == ""
