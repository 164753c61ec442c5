"""The fake Slack Web API, exercised through the real slack_sdk clients."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import FakeSlack


def button(label: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id}


BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "On call *Mon 7 Dec*"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Swap with someone?"},
        "accessory": button("Swap", "swap"),
    },
    {"type": "actions", "elements": [button("Accept", "ok"), button("Decline", "no")]},
]


class NoSleepRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, but it notes the Retry-After wait instead of sleeping it."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=2)
        self.waits: list[int] = []

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None, "a 429 retry always has a response"
        retry_after = {name.lower(): values for name, values in response.headers.items()}
        self.waits.append(int(retry_after["retry-after"][0]))
        state.next_attempt_requested = True
        state.increment_current_attempt()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    # Not the shared fixture: these tests make protocol errors on purpose.
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=5)


def test_auth_test_answers_as_the_bot(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()

    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == ("UBOT", "BBOT", "T1")
    assert answer["team"] == "Acme" and answer["user"] == "rotabot"
    assert fake.last("auth.test").headers["authorization"] == "Bearer xoxb-test"


def test_post_message_is_recorded_with_blocks_decoded(fake: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postMessage(channel="U1", text="Rota", blocks=BLOCKS)

    assert answer["channel"] == "DU1"
    assert answer["ts"] == "1700000000.000100"
    assert answer["message"]["user"] == "UBOT" and answer["message"]["blocks"] == BLOCKS
    call = fake.last("chat.postMessage")
    assert call.args["blocks"] == BLOCKS
    assert fake.messages_to("U1") == [call] == fake.messages_to("DU1")
    assert "Mon 7 Dec" in fake.texts(call)
    assert fake.texts(call).startswith("Rota\n")


def test_form_encoded_json_arguments_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(BLOCKS)}
    )

    assert fake.last("chat.postMessage").args["blocks"] == BLOCKS
    assert fake.messages_to("C1")


def test_message_timestamps_increase(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(3)]

    assert stamps == sorted(stamps, key=float)
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)


def test_get_with_query_string_and_token_argument(fake: FakeSlack) -> None:
    fake.add_user("U7", name="ada", email="ada@example.com", real_name="Ada Lovelace")

    answer = httpx.get(f"{fake.url}users.info", params={"user": "U7", "token": "xoxb-q"}).json()

    assert answer["ok"] is True
    assert answer["user"]["real_name"] == "Ada Lovelace"
    assert answer["user"]["profile"]["email"] == "ada@example.com"


def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=fake.url).auth_test()

    assert raised.value.response["error"] == "not_authed"
    assert fake.last("auth.test").error == "not_authed"


def test_unknown_method_is_a_protocol_error(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.frobnicate")

    assert raised.value.response["error"] == "unknown_method"
    assert fake.protocol_errors == ["chat.frobnicate: unknown method"]
    with pytest.raises(AssertionError, match="chat.frobnicate"):
        fake.assert_no_protocol_errors()
    fake.clear()
    fake.assert_no_protocol_errors()


def test_missing_required_argument_is_a_protocol_error(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postEphemeral", json={"channel": "C1", "text": "psst"})

    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: user"
    ]
    assert fake.protocol_errors == ["chat.postEphemeral: missing required field: user"]


def test_message_without_any_content_is_a_protocol_error(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError):
        client.api_call("chat.postMessage", json={"channel": "C1"})

    assert fake.protocol_errors == [
        "chat.postMessage: missing required field: one of attachments, blocks, text"
    ]
    assert fake.messages_to("C1") == []


def test_rate_limit_then_success(fake: FakeSlack) -> None:
    retry = NoSleepRateLimitRetry()
    client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[retry])
    fake.fail("chat.postMessage", status=429, retry_after=7)

    answer = client.chat_postMessage(channel="C1", text="hello")

    assert answer["ok"] is True
    assert retry.waits == [7]
    calls = fake.calls_to("chat.postMessage")
    assert [(call.status, call.error) for call in calls] == [(429, "ratelimited"), (200, None)]
    assert fake.messages_to("C1") == calls[1:]


def test_server_error_fault_then_normal_answers(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("users.list", status=500, times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.users_list()
        assert raised.value.response.status_code == 500

    assert client.users_list()["ok"] is True
    assert [call.status for call in fake.calls_to("users.list")] == [500, 500, 200]


def test_ok_false_fault_and_override(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("chat.postMessage", status=200, error="channel_not_found")
    fake.respond("chat.getPermalink", {"ok": True, "permalink": "https://x.test/p1"})

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C404", text="hi")

    assert raised.value.response["error"] == "channel_not_found"
    assert client.chat_getPermalink(channel="C1", message_ts="1.2")["permalink"] == (
        "https://x.test/p1"
    )
    with pytest.raises(ValueError):
        fake.fail("chat.postMessage", status=200)


def test_user_registry(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", name="grace", email="Grace@example.com", tz="America/New_York")
    fake.add_user("B1", name="helper", is_bot=True)

    assert client.users_lookupByEmail(email="grace@example.com")["user"]["id"] == "U1"
    assert client.users_info(user="U1")["user"]["tz"] == "America/New_York"
    assert client.users_info(user="U9")["user"]["is_bot"] is False
    assert [user["id"] for user in client.users_list()["members"]] == ["U1", "B1"]
    with pytest.raises(SlackApiError) as raised:
        client.users_lookupByEmail(email="nobody@example.com")
    assert raised.value.response["error"] == "users_not_found"


def test_conversations(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C1", name="support", members=("U1", "U2"))

    assert client.conversations_open(users="U5")["channel"]["id"] == "DU5"
    assert client.conversations_info(channel="C1")["channel"]["name"] == "support"
    assert client.conversations_members(channel="C1")["members"] == ["U1", "U2"]


def test_views_get_ids_and_hashes(fake: FakeSlack, client: WebClient) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Swap"}, "blocks": BLOCKS}

    opened = client.views_open(trigger_id="t1", view=view)["view"]
    updated = client.views_update(view_id=opened["id"], view=view)["view"]

    assert opened["id"].startswith("V") and opened["blocks"] == BLOCKS
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.find_button(fake.last("views.update"), "Accept")["action_id"] == "ok"


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    answer = WebhookClient(fake.response_url("r9")).send(text="Done", replace_original=True)

    assert (answer.status_code, answer.body) == (200, "ok")
    [response] = fake.responses_to("r9")
    assert response.body == {"text": "Done", "replace_original": True}
    assert fake.texts(response) == "Done"


def test_find_button_in_accessories_and_actions(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="Rota", blocks=BLOCKS)
    call = fake.last("chat.postMessage")

    assert fake.find_button(call, "Swap")["action_id"] == "swap"
    assert fake.find_button({"blocks": BLOCKS}, "Decline")["action_id"] == "no"
    with pytest.raises(AssertionError, match="'Swap', 'Accept', 'Decline'"):
        fake.find_button(call, "Maybe")


def test_last_names_the_methods_that_were_called(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()

    with pytest.raises(AssertionError, match="no views.publish call.*auth.test"):
        fake.last("views.publish")


def test_users_come_as_members_guests_and_external_people(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_user("U1", name="ann")
    fake.add_user("U2", name="gus", kind="guest")
    fake.add_user("U3", name="sol", kind="single-channel-guest")
    fake.add_user("U4", name="eve", kind="external", team_id="T9")
    flags = ("is_restricted", "is_ultra_restricted", "is_stranger", "team_id")
    seen = {}
    for user_id in ("U1", "U2", "U3", "U4"):
        user = client.users_info(user=user_id)["user"]
        seen[user_id] = tuple(user.get(flag, False) for flag in flags)
    assert seen == {
        "U1": (False, False, False, "T1"),
        "U2": (True, False, False, "T1"),
        "U3": (True, True, False, "T1"),
        "U4": (False, False, True, "T9"),
    }
    with pytest.raises(ValueError, match="kind must be one of member, guest"):
        fake.add_user("U5", name="x", kind="admin")


def test_channels_can_be_shared_with_other_organizations(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_channel("C1", name="team")
    fake.add_channel("C2", name="with-client", ext_shared=True)
    assert client.conversations_info(channel="C1")["channel"]["is_ext_shared"] is False
    assert client.conversations_info(channel="C2")["channel"]["is_ext_shared"] is True
    assert client.conversations_info(channel="C3")["channel"]["is_ext_shared"] is False


def slack_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_user_groups_as_slack_describes_them(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("UB", name="bot", is_bot=True)
    fake.add_user("UG", name="guest", kind="guest")
    fake.add_user("US", name="single", kind="single-channel-guest")
    fake.add_usergroup("S1", handle="support", users=("U1",))
    listed = client.usergroups_list()["usergroups"]
    assert [(g["id"], g["handle"], g["user_count"]) for g in listed] == [("S1", "support", 1)]
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1"]
    client.usergroups_users_update(usergroup="S1", users=["U2", "U3"])
    assert fake.usergroup_users("S1") == ["U2", "U3"]
    update = client.usergroups_users_update
    assert slack_error(lambda: update(usergroup="S1", users=[])) == "invalid_arguments"
    assert slack_error(lambda: update(usergroup="S1", users=" ")) == "no_users_provided"
    assert slack_error(lambda: update(usergroup="S1", users=["UB"])) == "invalid_users"
    assert slack_error(lambda: update(usergroup="S1", users=["UG"])) == "invalid_users"
    assert (
        slack_error(lambda: update(usergroup="S1", users=["US"]))
        == "single_channel_guests_cannot_be_added"
    )
    assert slack_error(lambda: update(usergroup="S9", users=["U1"])) == "no_such_subteam"
    assert slack_error(lambda: client.usergroups_users_list(usergroup="S9")) == "no_such_subteam"
    assert fake.usergroup_users("S1") == ["U2", "U3"]
    fake.without_scope("usergroups:write")
    assert slack_error(lambda: update(usergroup="S1", users=["U1"])) == "missing_scope"
    fake.free_plan()
    assert slack_error(client.usergroups_list) == "paid_teams_only"


def test_channel_topics_as_slack_describes_them(fake: FakeSlack, client: WebClient) -> None:
    client.conversations_setTopic(channel="C1", topic="Deploys on Thursdays")
    assert client.conversations_info(channel="C1")["channel"]["topic"]["value"] == (
        "Deploys on Thursdays"
    )
    client.conversations_setTopic(channel="C1", topic="")
    assert fake.topic("C1") == ""
    assert slack_error(lambda: client.conversations_setTopic(channel="C1", topic="x" * 251)) == (
        "too_long"
    )
    fake.without_scope("groups:write.topic")
    client.conversations_setTopic(channel="C1", topic="public channels still work")
    assert slack_error(lambda: client.conversations_setTopic(channel="G1", topic="no")) == (
        "missing_scope"
    )
    assert fake.protocol_errors == []
    assert slack_error(lambda: client.api_call("conversations.setTopic", json={"channel": "C1"}))
    assert fake.protocol_errors == ["conversations.setTopic: missing topic"]
