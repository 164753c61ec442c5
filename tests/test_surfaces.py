"""What several surfaces share: ticket numbers as typed, and posts that fail one by one."""

from __future__ import annotations

import pytest

from bot.rota.request import Post
from bot.services import Services
from bot.surfaces import parse_ticket_id, send_all
from tests.fakes.slack_api import FakeSlack


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1234", 1234), ("#1234", 1234), (" 42 ", 42), ("0", None), ("abc", None), ("١٢", None)],
)
def test_a_ticket_number_is_digits_with_an_optional_hash(typed: str, expected: int | None) -> None:
    assert parse_ticket_id(typed) == expected


def test_one_refused_post_does_not_stop_the_others(
    services: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postMessage", status=200, error="user_not_found")
    send_all(
        services,
        services.slack,
        [Post(channel="UGONE", text="first"), Post(channel="U2", text="second")],
    )
    assert [call.args["text"] for call in fake_slack.calls_to("chat.postMessage")] == [
        "first",
        "second",
    ]
    assert [call.args["text"] for call in fake_slack.messages_to("U2")] == ["second"]
