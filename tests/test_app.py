"""The Bolt app: ack first and work after, failures told to the person, Slack's retries."""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import Ack, App

from bot.listeners import acknowledge, after_ack
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack


def test_slow_handler_delays_neither_its_ack_nor_other_requests(
    bolt: App, slack: SlackDoor
) -> None:
    release = threading.Event()
    finished: list[str] = []

    def slow() -> None:
        release.wait(10)
        finished.append("slow")

    bolt.command("/slow")(ack=lambda ack: ack("working on it"), lazy=[after_ack(slow)])
    bolt.command("/echo")(lambda ack, command: ack(f"echo {command['text']}"))

    first = slack.command("/slow", settle=False)
    # The slow handler is still blocked, yet its ack came back and another request is served.
    assert first.text == "working on it"
    assert slack.command("/echo", "meanwhile", settle=False).text == "echo meanwhile"
    assert finished == []
    release.set()
    slack.settle()
    assert finished == ["slow"]


def test_handler_error_after_ack_tells_the_person(
    bolt: App, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    acked = threading.Event()

    def broken() -> None:
        # Fail only once Slack has its answer, as slow work after the ack would.
        acked.wait(10)
        raise RuntimeError("boom")

    bolt.command("/broken")(ack=acknowledge, lazy=[after_ack(broken)])
    response = slack.command("/broken", settle=False)
    assert response.status_code == 200
    acked.set()
    slack.settle()
    [reply] = fake_slack.responses
    assert reply.body["response_type"] == "ephemeral"
    assert "something went wrong on Rotabot's side" in reply.body["text"]


def test_handler_error_before_ack_is_still_not_a_500(bolt: App, slack: SlackDoor) -> None:
    def broken(ack: Ack) -> None:
        raise RuntimeError("boom before ack")

    bolt.command("/early")(broken)
    assert slack.command("/early").status_code == 200


def test_slack_retries_of_an_event_are_processed_once(bolt: App, slack: SlackDoor) -> None:
    handled: list[str] = []

    def on_reaction(event: dict[str, Any]) -> None:
        handled.append(event["reaction"])

    bolt.event("reaction_added")(on_reaction)
    event = {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1.1"}
    assert slack.event(event, event_id="Ev42").status_code == 200
    assert slack.event(event, event_id="Ev42", retry_num=1).status_code == 200
    assert slack.event(event, event_id="Ev43").status_code == 200
    assert handled == ["tada", "tada"]


def test_an_error_without_a_response_url_is_told_by_dm(
    bolt: App, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    acked = threading.Event()

    def broken_modal() -> None:
        acked.wait(10)
        raise RuntimeError("boom in a modal")

    bolt.view("broken")(ack=acknowledge, lazy=[after_ack(broken_modal)])
    view = {"type": "modal", "callback_id": "broken", "blocks": []}
    assert slack.submit_view(view, {}, user="U7", settle=False).status_code == 200
    acked.set()
    slack.settle()
    apology = fake_slack.last("chat.postMessage")
    assert apology.args["channel"] == "U7"
    assert "may not have finished" in apology.args["text"]


def test_a_failed_event_is_processed_again_when_slack_retries_it(
    bolt: App, slack: SlackDoor
) -> None:
    attempts: list[str] = []

    def flaky(event: dict[str, Any]) -> None:
        attempts.append(event["reaction"])
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    bolt.event("reaction_added")(flaky)
    event = {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1.1"}
    slack.event(event, event_id="Ev9")
    slack.event(event, event_id="Ev9", retry_num=1)
    slack.event(event, event_id="Ev9", retry_num=2)
    assert attempts == ["tada", "tada"]


def test_more_slow_handlers_than_bolt_has_threads_all_ack_at_once(
    bolt: App, slack: SlackDoor
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    release = threading.Event()

    def slow() -> None:
        release.wait(10)  # like a slow Zendesk, after the ack

    bolt.command("/slow")(ack=lambda ack: ack("on it"), lazy=[after_ack(slow)])
    with ThreadPoolExecutor(max_workers=24) as senders:
        answers = list(senders.map(lambda _: slack.command("/slow", settle=False), range(24)))
    # Every request was answered while all 24 handlers were still waiting on "Zendesk".
    assert [answer.text for answer in answers] == ["on it"] * 24
    release.set()
    slack.settle()
