"""Who Slack users are: one order of name fields, bots told apart, each asked once."""

from __future__ import annotations

import pytest

from bot.slack.client import make_slack_client
from bot.slack.errors import SlackUnavailable
from bot.slack.people import SlackPeople, display_name, user_by_email
from tests.fakes.slack_api import FakeSlack


def test_the_real_name_comes_first_then_the_display_name_then_the_handle() -> None:
    profile = {"real_name": "Alice P", "display_name": "ali"}
    assert display_name({"real_name": "Alice Smith", "name": "alice", "profile": profile}) == (
        "Alice Smith"
    )
    assert display_name({"real_name": " ", "name": "alice", "profile": profile}) == "Alice P"
    assert display_name({"name": "alice", "profile": {"display_name": "ali"}}) == "ali"
    assert display_name({"name": "alice", "profile": {"display_name": ""}}) == "alice"
    assert display_name({}) is None


def test_people_are_asked_about_once_and_unknown_ones_keep_their_id(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.add_user("U1", name="alice", email="alice@acme.test", real_name="Alice Smith")
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=lambda _: None)
    people = SlackPeople(client)
    assert people.name("U1") == "Alice Smith"
    assert not people.is_bot("U1")
    assert len(fake_slack.calls_to("users.info")) == 1
    assert people.is_bot("USLACKBOT")
    fake_slack.fail("users.info", status=200, error="user_not_found", times=2)
    assert people.name("U404") == "U404"
    assert people.known_name("U404") is None


def test_a_person_is_found_by_email_and_nobody_is_none(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1", name="alice", email="alice@acme.test")
    client = make_slack_client(token="xoxb-test", base_url=fake_slack.url, sleep=lambda _: None)
    assert user_by_email(client, "alice@acme.test") == "U1"
    assert user_by_email(client, "nobody@acme.test") is None
    fake_slack.fail("users.lookupByEmail", status=200, error="ratelimited")
    with pytest.raises(SlackUnavailable):
        user_by_email(client, "alice@acme.test")
