"""`/ticket ID` end to end: signed slash commands in, the card out through response_url."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from slack_bolt import App

from bot.handlers import ticket_command
from bot.services import Services
from tests.doors import MutableClock, SlackDoor, record_app_sql
from tests.fakes.slack_api import FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import ALICE, CLIENT, seed_ticket, select_of
from tests.jobs.digest_helpers import mirror


@pytest.fixture
def zendesk(
    zendesk_services: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack
) -> FakeZendesk:
    seed_ticket(fake_zendesk)
    fake_slack.add_user("UALICE", name="alice", email="alice@team.test")
    return fake_zendesk


def only_response(fake_slack: FakeSlack) -> ResponseCall:
    responses = fake_slack.responses
    assert len(responses) == 1, responses
    return responses[0]


def buttons(response: ResponseCall) -> list[str]:
    return [
        element["text"]["text"]
        for block in response.body.get("blocks", [])
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]


def test_the_card_shows_the_ticket(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    response = slack.command("/ticket", "101", user="U1")
    assert response.status_code == 200
    assert response.text == ""
    card = only_response(fake_slack)
    assert card.body["response_type"] == "ephemeral"
    assert card.body["text"] == "Ticket #101: Printer <on> fire"
    text = FakeSlack.texts(card)
    assert f"*<{zendesk.url}/agent/tickets/101|#101 Printer &lt;on&gt; fire>*" in text
    for line in (
        "*Client*\nAcme Ltd",
        "*Requester*\nCarol Client",
        "*Status*\nOpen",
        "*Priority*\nNormal",
        "*Assignee*\n<@UALICE>",
        "*Age*\n2 working days (opened Mon 30 Nov)",
    ):
        assert line in text
    assert (
        "Last client comment: Tue 1 Dec, 11:00 GMT\n"
        "Our last public reply: Mon 30 Nov, 11:00 GMT by Alice Agent\n"
        ":hourglass: client waiting 7.5 working hours"
    ) in text
    assert buttons(card) == [
        "Priority is right",
        "Promise an update",
        "Escalate to delivery lead",
        "I'm on it",
        "Ask for help…",
    ]
    assert [o["text"]["text"] for o in select_of(card)["options"]] == [
        "Urgent",
        "High",
        "Normal",
        "Low",
    ]


def test_the_card_zendesk_gives_is_read_with_the_request_bolt_parsed(
    zendesk: FakeZendesk,
    bolt: App,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The card's work after the ack is handed the request itself: a lazy listener would get
    a deep copy of it, made by Bolt after parsing it again."""
    parsed: list[dict[str, Any]] = []
    handed: list[dict[str, Any]] = []

    def peek(body: dict[str, Any], next: Any) -> None:
        parsed.append(body)
        next()

    finish = ticket_command.finish_for_ticket_people

    def recording(**kwargs: Any) -> None:
        handed.append(kwargs["body"])
        finish(**kwargs)

    monkeypatch.setattr(ticket_command, "finish_for_ticket_people", recording)
    bolt.use(peek)
    assert slack.command("/ticket", "101", user="U1").text == ""
    assert only_response(fake_slack).body["text"] == "Ticket #101: Printer <on> fire"
    [body] = handed
    assert body is parsed[0]


def test_a_hash_before_the_number_is_fine(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", " #101 ")
    assert only_response(fake_slack).body["text"] == "Ticket #101: Printer <on> fire"


def test_a_mirrored_ticket_is_read_from_the_mirror(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "101")
    zendesk.clear()
    slack.command("/ticket", "101")
    assert zendesk.requests == []
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 1


def test_the_slack_match_is_checked_again_after_a_day(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    fake_slack.clear()
    fake_slack.add_user("UALICE", name="alice", email="someone-else@team.test")
    slack.command("/ticket", "101")
    assert "*Assignee*\nAlice Agent" in FakeSlack.texts(fake_slack.responses[-1])
    fake_slack.add_user("UALICE", name="alice", email="alice@team.test")
    clock.advance(hours=23)
    slack.command("/ticket", "101")
    assert "*Assignee*\nAlice Agent" in FakeSlack.texts(fake_slack.responses[-1])
    clock.advance(hours=2)
    slack.command("/ticket", "101")
    assert "*Assignee*\n<@UALICE>" in FakeSlack.texts(fake_slack.responses[-1])
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", None),
        ("abc", "`abc` is not a ticket number."),
        ("0", "`0` is not a ticket number."),
        ("12 34", "`12 34` is not a ticket number."),
    ],
)
def test_no_number_gets_the_usage(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, text: str, problem: str | None
) -> None:
    slack.command("/ticket", text)
    usage = (
        "Usage: `/ticket ID` shows a Zendesk ticket's card, e.g. `/ticket 1234` or "
        "`/ticket #1234`; `/ticket promise ID WHEN [NOTE]` records an update you promised, e.g. "
        "`/ticket promise 1234 fri 3pm check the logs`."
    )
    expected = usage if problem is None else f"{problem}\n{usage}"
    assert only_response(fake_slack).body == {"text": expected, "response_type": "ephemeral"}
    assert zendesk.requests == []


def test_an_unknown_ticket_is_a_sentence(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "999")
    assert only_response(fake_slack).body["text"] == "I can't find ticket #999 in Zendesk."


def test_a_number_too_long_for_any_ticket_is_no_such_ticket(
    zendesk: FakeZendesk, zendesk_services: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    huge = "99999999999999999999"
    mirror(zendesk_services)
    slack.command("/ticket", huge)
    slack.command("/ticket", f"promise {huge} tomorrow")
    assert [reply.body["text"] for reply in fake_slack.responses] == [
        f"I can't find ticket #{huge} in Zendesk.",
        f"I can't find ticket #{huge} in Zendesk, so I haven't recorded a promise.",
    ]


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (500, "Zendesk is not answering (HTTP 500); try again in a few minutes"),
        (
            401,
            "Zendesk refused Rotabot's credentials (401): check ZENDESK_EMAIL and "
            "ZENDESK_API_TOKEN",
        ),
        (403, "Zendesk does not allow Rotabot's user to read or change ticket 101 (403)"),
    ],
)
def test_zendesk_failures_are_told_to_the_person(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, status: int, sentence: str
) -> None:
    zendesk.fail("/api/v2/tickets/show_many.json", status=status, times=4)
    slack.command("/ticket", "101")
    assert (
        only_response(fake_slack).body["text"]
        == f":warning: I couldn't read the ticket: {sentence}."
    )


def test_a_failed_read_of_the_comments_is_told_too(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    """The comments are asked for beside the ticket: their failure is the card's all the same,
    and nothing half-read is mirrored."""
    zendesk.fail("/api/v2/tickets/101/comments.json", status=500, times=4)
    slack.command("/ticket", "101")
    assert only_response(fake_slack).body["text"] == (
        ":warning: I couldn't read the ticket: Zendesk is not answering (HTTP 500); "
        "try again in a few minutes."
    )


def test_a_rate_limit_is_waited_out(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, zendesk_waits: list[float]
) -> None:
    zendesk.fail("/api/v2/tickets/show_many.json", status=429, retry_after=2)
    slack.command("/ticket", "101")
    assert only_response(fake_slack).body["text"] == "Ticket #101: Printer <on> fire"
    # The comments, asked for beside the ticket, may have been refused in those 2 s as well:
    # every caller waits them out, and no longer.
    assert set(zendesk_waits) == {2.0}


def test_without_zendesk_the_person_is_told(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "101")
    assert only_response(fake_slack).body["text"] == (
        ":warning: I couldn't read the ticket: Zendesk is not connected to Rotabot yet: whoever "
        "runs Rotabot needs to set ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN."
    )


def test_a_remembered_card_follows_the_mirror(
    zendesk: FakeZendesk,
    zendesk_services: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> None:
    mirror(zendesk_services)
    statements: list[str] = []
    record_app_sql(zendesk_services.engine, statements)
    # The first card looks the assignee up in Slack (and so changes the mirror).
    slack.command("/ticket", "101")
    assert fake_slack.calls_to("users.lookupByEmail")
    slack.command("/ticket", "101")
    first = FakeSlack.texts(fake_slack.responses[-1])
    assert "*Priority*\nNormal" in first and statements
    # Asked again, the card comes from memory; its times are still worked out afresh.
    clock.advance(hours=1)
    # Who the person is was asked of Slack over five minutes ago: asked again, after the ack.
    slack.command("/ticket", "101")
    assert len(fake_slack.calls_to("users.info")) == 2
    statements.clear()
    slack.command("/ticket", "101")
    # From memory: on SQLite the count of changes to its tables is read from the board
    # beside the database file (bot/store/count_board.py), checked against the database's
    # own count at most once a second; nothing else is read.
    assert [s for s in statements if "change_count" not in s] == []
    again = FakeSlack.texts(fake_slack.responses[-1])
    assert again != first and "client waiting" in again
    # A sync that changes the ticket is seen by the next card.
    zendesk.update_ticket(101, priority="high", updated_at=clock())
    clock.advance(minutes=5)
    mirror(zendesk_services)
    slack.command("/ticket", "101")
    assert "*Priority*\nHigh" in FakeSlack.texts(fake_slack.responses[-1])


def test_a_ticket_the_ack_found_missing_from_the_mirror_is_not_looked_for_again(
    zendesk: FakeZendesk,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    zendesk_services: Services,
    clock: MutableClock,
) -> None:
    zendesk.add_ticket(
        102,
        subject="Scanner jam",
        requester_id=CLIENT,
        assignee_id=ALICE,
        organization_id=50,
        created_at=clock() - timedelta(days=1),
    )
    slack.command("/ticket", "101")  # the asker's standing is now known: the ack looks
    statements: list[str] = []
    record_app_sql(zendesk_services.engine, statements)
    slack.command("/ticket", "102")
    assert fake_slack.responses[-1].body["text"] == "Ticket #102: Scanner jam"
    by_id = [s for s in statements if s.startswith("SELECT ticket.id") and "ticket.id =" in s]
    assert len(by_id) == 1  # the ack's look; the card then came from Zendesk


def test_replies_that_promise_nothing_cost_no_query(
    zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack, zendesk_services: Services
) -> None:
    statements: list[str] = []
    record_app_sql(zendesk_services.engine, statements)
    slack.command("/ticket", "101")  # its replies: "It broke", "On it", "News?"
    slack.settle()
    assert fake_slack.responses[-1].body["text"] == "Ticket #101: Printer <on> fire"
    assert not [s for s in statements if "WHERE promise.comment_id IN" in s]
