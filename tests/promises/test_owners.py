"""Who a promise falls to: the person's own rota, else the first rota, else nobody."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.promises.owners import person_on_support, rota_channel_for
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_without_rotas_there_is_nobody(services: Services) -> None:
    with services.session() as session:
        assert rota_channel_for(session, "UA") is None
        assert person_on_support(session, services.calendar, "UA", MONDAY) is None


def test_a_member_gets_their_rota_and_anyone_else_the_first(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(MONDAY)
    for user, name in [("UA", "alice"), ("UB", "bob"), ("UC", "carol")]:
        fake_slack.add_user(user, name=name)
    slack.command("/rota", "add <@UA> <@UB>", user="UA", channel="CFIRST")
    slack.command("/rota", "add <@UC>", user="UC", channel="CSECOND")
    with services.session() as session:
        own, first = rota_channel_for(session, "UC"), rota_channel_for(session, "UZ")
        assert own is not None and own[1] == "CSECOND"
        assert first is not None and first[1] == "CFIRST"
        assert person_on_support(session, services.calendar, "UZ", MONDAY) == "UA"
        assert person_on_support(session, services.calendar, "UC", MONDAY) == "UC"
