"""Signed bodies Slack would never send are refused at the door, before Bolt: never a 500."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import ids
from bot.http.slack_shapes import form_fields, slack_payload
from tests.doors import SlackDoor

USER = {"id": "U1", "team_id": "T1"}
BUTTON = {"type": "button", "action_id": "escalate", "block_id": "b1", "value": "101"}


def interaction(**fields: Any) -> dict[str, Any]:
    clicked = {"type": "block_actions", "user": USER, "trigger_id": "t1", "actions": [BUTTON]}
    return {**clicked, **fields}


def event(**fields: Any) -> dict[str, Any]:
    inner = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    return {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": inner, **fields}


ODD_INTERACTIONS = [
    interaction(user=5),
    interaction(user={"id": 5}),
    interaction(user={"id": ""}),
    interaction(user=None),
    interaction(actions=[]),
    interaction(actions=[5]),
    interaction(actions=[{"action_id": 3}]),
    interaction(actions="escalate"),
    interaction(team=3),
    interaction(channel="C1"),
    interaction(message=[]),
    interaction(response_url=7),
    interaction(response_url=""),
    interaction(trigger_id=None),
    interaction(message={"ts": "1.2"}),
    interaction(actions=[{**BUTTON, "value": "99999999999999999999"}]),
    interaction(actions=[{**BUTTON, "value": 101}]),
    interaction(actions=[{**BUTTON, "selected_option": {"value": 3}}]),
    # A button Rotabot shows only on messages, clicked where there is no message to answer.
    interaction(actions=[{**BUTTON, "action_id": ids.DIGEST_PRIORITY_RIGHT}]),
    interaction(actions=[{**BUTTON, "action_id": ids.ESCALATION_ACKNOWLEDGE}]),
    {"type": "view_submission", "user": USER},
    {"type": "view_submission", "user": USER, "view": 5},
    {"type": "view_submission", "user": USER, "view": {"type": "modal", "callback_id": 5}},
    {"type": "view_submission", "user": USER, "view": {"callback_id": "m"}},
    {"type": "view_submission", "user": USER, "view": {"type": "modal", "state": []}},
    {"type": "view_submission", "user": USER, "view": {"private_metadata": "99999999999999999999"}},
    {"type": "shortcut", "user": USER, "callback_id": 5},
]

ODD_EVENTS = [
    event(event=5),
    event(event={"type": "app_home_opened", "user": 5}),
    event(event={"type": "app_home_opened", "user": ""}),
    event(event={"type": "app_home_opened", "tab": "home"}),
    event(event={"type": "app_home_opened", "user": "U1", "channel": 4}),
    event(event={"type": 5}),
    event(event_id=5),
    event(event_id=None),
    event(team_id=5),
    event(event={"type": "message", "user": "U1", "text": 5}),
    event(event={"type": "message", "subtype": "message_changed", "message": "hi"}),
    {"type": "url_verification"},
    {"type": "block_actions", "event": None},
    {"type": "url_verification", "challenge": 5},
]

ODD_FORMS = [
    "command=%2Fticket",
    "command=%2Fticket&text=1&user_id=U1",
    "command=ticket&text=1&user_id=U1&channel_id=C1",
    "command=%2Fticket&text=1&user_id=&channel_id=C1",
    "command=%2Fticket&text=1&user_id=U1&channel_id=C1&response_url=",
    "payload=5",
    "payload=%7B%7D",
]


@pytest.mark.parametrize("payload", ODD_INTERACTIONS)
def test_an_odd_interaction_is_400(slack: SlackDoor, payload: dict[str, Any]) -> None:
    response = slack.post("/slack/events", urlencode({"payload": json.dumps(payload)}))
    assert (response.status_code, response.text) == (400, "not a Slack request")


@pytest.mark.parametrize("envelope", ODD_EVENTS)
def test_an_odd_event_is_400(slack: SlackDoor, envelope: dict[str, Any]) -> None:
    response = slack.post("/slack/events", json.dumps(envelope), content_type="application/json")
    assert (response.status_code, response.text) == (400, "not a Slack request")


@pytest.mark.parametrize("body", ODD_FORMS)
def test_an_odd_form_is_400(slack: SlackDoor, body: str) -> None:
    response = slack.post("/slack/events", body)
    assert (response.status_code, response.text) == (400, "not a Slack request")


def test_what_slack_sends_passes() -> None:
    form = "application/x-www-form-urlencoded"
    assert slack_payload(urlencode({"payload": json.dumps(interaction())}).encode(), form)
    assert slack_payload(json.dumps(event()).encode(), "application/json")
    assert slack_payload(b"ssl_check=1&token=t", form) == {"ssl_check": "1"}
    command = slack_payload(b"command=%2Frota&text=&user_id=U1&channel_id=C1", form)
    assert command == {"command": "/rota", "text": "", "user_id": "U1", "channel_id": "C1"}
    view = {"id": "V1", "type": "modal", "callback_id": "m", "private_metadata": '{"ticket": 1}'}
    submitted = {"type": "view_submission", "user": USER, "trigger_id": "t2", "view": view}
    assert slack_payload(urlencode({"payload": json.dumps(submitted)}).encode(), form)
    on_a_message = interaction(
        actions=[{**BUTTON, "action_id": ids.DIGEST_PRIORITY_RIGHT}],
        response_url="https://hooks.slack.com/actions/T1/1/abc",
    )
    assert slack_payload(urlencode({"payload": json.dumps(on_a_message)}).encode(), form)


# Form bodies, decoded as the standard library decodes them (and faster).
FORM_EDGES = [
    "",
    "&&",
    "payload",
    "payload=",
    "=x",
    "a=1&a=2&b",
    "a=b=c",
    "text=%E2%9C%85+done%21",
    "text=caf%C3%A9",
    "text=%e2%9c%85",
    "text=%zz%4",
    "text=50%",
    "text=%FF%FE",
    "text=%C3",
    "text=a\\x41%41",
    "text=ca\u00e9%41",
    "text=%5Cx41",
    "text=%00%0A%0D",
    "text=%25%2B%26%3D",
]


@pytest.mark.parametrize("body", FORM_EDGES)
def test_form_fields_decode_as_parse_qs_does(body: str) -> None:
    assert form_fields(body) == parse_qs(body, keep_blank_values=True)


@given(st.text())
def test_form_fields_agree_with_parse_qs_on_any_text(body: str) -> None:
    assert form_fields(body) == parse_qs(body, keep_blank_values=True)


@given(st.lists(st.tuples(st.text(), st.text())))
def test_form_fields_read_back_what_was_encoded(fields: list[tuple[str, str]]) -> None:
    body = urlencode(fields)
    assert form_fields(body) == parse_qs(body, keep_blank_values=True)


@given(st.text(alphabet="%+&=\\aA0fFgé\u2705", max_size=40))
def test_form_fields_agree_on_escapes_whole_and_broken(body: str) -> None:
    assert form_fields(body) == parse_qs(body, keep_blank_values=True)
