"""Lazy listeners: what Bolt passes them, and the services they find in their context."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from typing import Any

import pytest
from slack_bolt import App, BoltContext
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.blocks.escalation import escalate_button
from bot.listeners import SORRY, WORKING, acked_then, acknowledge, after_ack, within_budget
from bot.services import Services, services_of
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import CLIENT, U_ALICE, U_LEE, mirror, team


def test_after_ack_asks_bolt_for_the_works_arguments_and_what_reporting_needs() -> None:
    def work(command: dict[str, Any], respond: Any) -> None:
        raise AssertionError("not called")

    names = list(inspect.signature(after_ack(work)).parameters)
    assert names == ["command", "respond", "body", "client", "context"]
    assert after_ack(work).__name__ == "work"


def test_a_lazy_listener_gets_the_same_services_not_a_copy(
    bolt: App, slack: SlackDoor, services: Services
) -> None:
    seen: list[Services] = []

    def work(context: BoltContext) -> None:
        seen.append(services_of(context))

    bolt.command("/lazy")(ack=acknowledge, lazy=[after_ack(work)])
    assert slack.command("/lazy").status_code == 200
    [found] = seen
    assert found is services


def test_work_after_an_empty_ack_shares_the_request_and_its_failure_is_told(
    bolt: App, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    """acked_then: the ack at once, the work on the pool with the request Bolt parsed (not a
    copy of it, as a lazy listener gets), and a failure reported as a lazy listener's is."""
    bodies: list[dict[str, Any]] = []

    def peek(body: dict[str, Any], next: Any) -> None:
        bodies.append(body)
        next()

    def work(body: dict[str, Any], respond: Any) -> None:
        bodies.append(body)
        respond(text="done")

    def failing(body: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    bolt.use(peek)
    bolt.command("/shared")(acked_then(after_ack(work)))
    bolt.command("/failing")(acked_then(after_ack(failing)))
    response = slack.command("/shared")
    assert (response.status_code, response.text) == (200, "")
    seen, worked = bodies[-2:]
    assert worked is seen
    assert fake_slack.responses[-1].body == {"text": "done"}
    assert slack.command("/failing").status_code == 200
    assert fake_slack.responses[-1].body == {"text": SORRY, "response_type": "ephemeral"}


# Acks that take too long: Slack gives up after 3 s, and the person must still hear back.
BUDGET = 0.2


@pytest.fixture
def bolt(services: Services) -> App:
    """The app with a short ack budget: the tests hold the ack functions past it."""
    return build_app(services, ack_budget=BUDGET)


def test_a_rota_read_held_by_a_write_lock_is_acked_and_answered_later(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    fake_slack.add_user("U2", name="bea", real_name="Bea")
    slack.command("/rota", "add <@U1> <@U2>")
    fake_slack.clear()
    lock = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        response = slack.command("/rota", "show 9", settle=False)
        (working,) = fake_slack.responses
        assert working.body == {"text": WORKING, "response_type": "ephemeral"}
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert response.status_code == 200
    slack.settle()
    working, answer = fake_slack.responses
    assert answer.token == working.token
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["text"] == "Support rota: <@U1> this week, and 8 more weeks."
    assert "Mon 25 Jan 2027 – Fri 29 Jan 2027  <@U1>" in FakeSlack.texts(answer)


def test_an_escalation_held_by_zendesk_failing_is_answered_by_dm(
    zendesk_services: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_zendesk.add_ticket(101, subject="Broken", requester_id=CLIENT, organization_id=50)
    mirror(zendesk_services)
    slack.click(escalate_button(101), user=U_ALICE)
    view = fake_slack.last("views.open").args["view"]
    assert isinstance(view, dict)
    # Ticket 102 was never mirrored, and Zendesk answers 500 while the request waits.
    retrying, released, waited = threading.Event(), threading.Event(), threading.Event()

    def held_retry(_seconds: float) -> None:
        retrying.set()
        released.wait(10)
        waited.set()

    assert zendesk_services.zendesk is not None
    zendesk_services.zendesk.sleep = held_retry
    fake_zendesk.fail("/api/v2/tickets/show_many.json", status=500, times=100)
    fake_slack.clear()
    values = {
        "reason": {
            "escalation.reason": {"type": "static_select", "selected_option": {"value": "other"}}
        },
        "note": {"escalation.note": {"type": "plain_text_input", "value": None}},
    }
    response = slack.submit_view(
        {**view, "private_metadata": "102"}, values, user=U_ALICE, settle=False
    )
    assert not waited.is_set(), "the request waited for Zendesk"
    assert retrying.is_set()
    assert response.status_code == 200 and response.text == ""
    released.set()
    slack.settle()
    (told,) = fake_slack.messages_to(U_ALICE)
    assert told.args["text"].startswith("I couldn't read the ticket: ")
    assert fake_slack.messages_to(U_LEE) == []


def test_an_ack_that_fails_after_its_budget_still_apologises(
    bolt: App, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    released = threading.Event()
    lazy_ran: list[bool] = []

    def slow_then_broken(ack: Any) -> None:
        released.wait(10)
        raise RuntimeError("the database went away")

    def work() -> None:
        lazy_ran.append(True)

    bolt.command("/slow")(ack=within_budget(slow_then_broken), lazy=[after_ack(work)])
    slack.command("/slow", settle=False)
    (working,) = fake_slack.responses
    assert working.body["text"] == WORKING
    released.set()
    slack.settle()
    working, apology = fake_slack.responses
    assert apology.token == working.token
    assert apology.body["text"] == SORRY
    assert lazy_ran == []
