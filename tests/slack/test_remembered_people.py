"""Who the people a /rota command names are, from what Slack said a moment ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from slack_sdk import WebClient

from bot.slack.people import RememberedPeople, Standings

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Slack:
    """users.info as Slack answers it, counting the questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def users_info(self, *, user: str) -> dict[str, Any]:
        self.asked.append(user)
        return {"user": {"id": user, "real_name": f"Name of {user}", "is_bot": user == "UBOT"}}


def test_people_described_a_moment_ago_are_not_asked_about_again_and_keep_their_names() -> None:
    slack = Slack()
    client = cast(WebClient, slack)
    standings = Standings()
    standings.of(client, "U2", NOW)  # the ticket access check asked about U2
    people = RememberedPeople(standings, client, NOW + timedelta(minutes=1))
    assert not people.is_bot("U2")
    assert people.is_bot("UBOT")
    assert slack.asked == ["U2", "UBOT"]
    # Both names go to the store, the one remembered from the access check too.
    assert people.learned_names() == {"U2": "Name of U2", "UBOT": "Name of UBOT"}
    # Five minutes on, Slack is asked again.
    later = RememberedPeople(standings, client, NOW + timedelta(minutes=6))
    assert not later.is_bot("U2")
    assert slack.asked == ["U2", "UBOT", "U2"]


def test_names_seen_stored_are_not_stored_again_for_a_few_minutes() -> None:
    standings = Standings()
    standings.names_stored({"U2": "Bob"}, NOW)
    assert standings.names_not_stored({"U2": "Bob", "U3": "Cy"}, NOW + timedelta(minutes=1)) == {
        "U3": "Cy"
    }
    # A new name is stored at once; after a few minutes even the same one is compared again.
    assert standings.names_not_stored({"U2": "Robert"}, NOW) == {"U2": "Robert"}
    assert standings.names_not_stored({"U2": "Bob"}, NOW + timedelta(minutes=6)) == {"U2": "Bob"}
