"""Lazy listeners: what Bolt passes them, and the services they find in their context."""

from __future__ import annotations

import inspect
from typing import Any

from slack_bolt import App, BoltContext

from bot.listeners import acknowledge, after_ack
from bot.services import Services, services_of
from tests.doors import SlackDoor


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
