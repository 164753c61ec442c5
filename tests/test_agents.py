"""Zendesk agents matched to Slack people by email, at most once a day each."""

from __future__ import annotations

from bot.agents import refresh_agent_matches, slack_user_for
from bot.services import Services
from bot.tickets.refresh import refresh_ticket
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import ALICE, seed_ticket


def mirrored_agent(services: Services, zendesk: FakeZendesk, slack: FakeSlack) -> None:
    seed_ticket(zendesk)
    zendesk.add_user(ALICE, name="Alice", email="alice@team.test", role="agent")
    slack.add_user("UA", name="alice", email="alice@team.test")
    refresh_ticket(services, 101)


def test_an_unknown_zendesk_user_has_no_slack_person(zendesk_services: Services) -> None:
    assert slack_user_for(zendesk_services, 424242) is None


def test_a_match_is_asked_of_slack_once_a_day(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> None:
    mirrored_agent(zendesk_services, fake_zendesk, fake_slack)
    assert slack_user_for(zendesk_services, ALICE) == "UA"
    asked = len(fake_slack.calls_to("users.lookupByEmail"))
    assert slack_user_for(zendesk_services, ALICE) == "UA"
    assert len(fake_slack.calls_to("users.lookupByEmail")) == asked
    clock.advance(days=1, minutes=1)
    assert slack_user_for(zendesk_services, ALICE) == "UA"
    assert len(fake_slack.calls_to("users.lookupByEmail")) == asked + 1


def test_slack_refusing_keeps_the_last_match(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> None:
    mirrored_agent(zendesk_services, fake_zendesk, fake_slack)
    assert slack_user_for(zendesk_services, ALICE) == "UA"
    clock.advance(days=2)
    fake_slack.fail("users.lookupByEmail", status=200, error="fatal_error")
    assert slack_user_for(zendesk_services, ALICE) == "UA"


def test_refreshing_matches_every_agent(
    zendesk_services: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack
) -> None:
    mirrored_agent(zendesk_services, fake_zendesk, fake_slack)
    fake_slack.clear()
    refresh_agent_matches(zendesk_services)
    assert [call.args.get("email") for call in fake_slack.calls_to("users.lookupByEmail")] == [
        "alice@team.test"
    ]
