"""The App Home end to end: app_home_opened in, views.publish out, and its swap buttons."""

from __future__ import annotations

from typing import Any

from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import at_london, rota


def home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}


def published_home(fake_slack: FakeSlack, user: str) -> dict[str, Any]:
    call = fake_slack.last("views.publish")
    assert call.args["user_id"] == user
    view: dict[str, Any] = call.args["view"]
    assert view["type"] == "home"
    return view


def test_someone_in_no_rota_sees_how_to_start(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    slack.event(home_opened("U5"))
    text = FakeSlack.texts(published_home(fake_slack, "U5"))
    assert "You're not on a support rota yet." in text
    assert "/rota add @you @teammate" in text


def test_a_member_sees_who_is_on_and_their_weeks(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    slack.event(home_opened("U2"))
    text = FakeSlack.texts(published_home(fake_slack, "U2"))
    assert "*Support rota in <#C1>*" in text
    assert "<@U1> is on support now, until Fri 4 Dec." in text
    assert "• Mon 7 Dec – Fri 11 Dec\n• Mon 21 Dec – Fri 25 Dec" in text


def test_swap_requests_on_the_home_with_buttons_that_work(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    slack.event(home_opened("U2"))
    asking = published_home(fake_slack, "U2")
    assert "You asked <@U3> to swap your Mon 7 Dec – Fri 11 Dec" in FakeSlack.texts(asking)
    slack.event(home_opened("U3"))
    home = published_home(fake_slack, "U3")
    assert "<@U2> asks to swap support weeks with you" in FakeSlack.texts(home)
    slack.click(FakeSlack.find_button(home, "Accept"), user="U3", view=home)
    after = published_home(fake_slack, "U3")
    text = FakeSlack.texts(after)
    assert text.startswith("Swapped.")
    assert "• Mon 7 Dec – Fri 11 Dec · swapped with <@U2>" in text
    assert "asks to swap" not in text
    assert fake_slack.last("chat.update").args["channel"] == "DU3"


def test_a_request_whose_week_has_started_leaves_the_home(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    at_london(clock, 2026, 12, 7, 9, 0)
    slack.event(home_opened("U3"))
    text = FakeSlack.texts(published_home(fake_slack, "U3"))
    assert "asks to swap" not in text
    assert "<@U2> is on support now, until Fri 11 Dec." in text
