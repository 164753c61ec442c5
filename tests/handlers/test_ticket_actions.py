"""The card's priority buttons, clicked through signed interactivity requests."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlmodel import select

from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_engine, session_scope
from bot.store.priority_reviews import PriorityReview
from bot.store.tickets import ticket_by_id
from tests.doors import MutableClock, SlackDoor, record_app_sql
from tests.fakes.slack_api import FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import select_of, shown_card


@pytest.fixture
def card(
    zendesk_services: Services, fake_zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack
) -> ResponseCall:
    return shown_card(fake_zendesk, slack, fake_slack)


def reviews(services: Services) -> list[tuple[int, str, str | None, str]]:
    with services.session() as session:
        return [
            (r.ticket_id, r.reviewed_by, r.priority_set, r.source)
            for r in session.exec(select(PriorityReview))
        ]


def replaced_card(fake_slack: FakeSlack) -> ResponseCall:
    (response,) = fake_slack.responses
    assert response.body["replace_original"] is True
    return response


def test_priority_is_right_records_the_review_and_updates_the_card(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    assert reviews(zendesk_services) == [(101, "U1", None, "card")]
    text = FakeSlack.texts(replaced_card(fake_slack))
    assert "Priority reviewed by <@U1> at Wed 2 Dec, 10:00 GMT" in text
    assert "*Priority*\nNormal" in text
    assert fake_zendesk.writes == []


def test_the_card_is_read_in_the_transaction_that_records_the_review(
    zendesk_services: Services, card: ResponseCall, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    transactions: list[list[str]] = [[]]
    engine = zendesk_services.engine
    sqlalchemy.event.listen(
        engine, "before_cursor_execute", lambda *a: transactions[-1].append(a[2])
    )
    sqlalchemy.event.listen(engine, "commit", lambda _connection: transactions.append([]))
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    assert "Priority reviewed by <@U1>" in FakeSlack.texts(replaced_card(fake_slack))
    (reviewing,) = [t for t in transactions if any("INSERT INTO priority_review" in s for s in t)]
    read = " ".join(reviewing)
    assert "FROM zendesk_user" in read and "FROM promise" in read  # the card's own reads
    # The write comes after them: SQLite's write lock is taken only to commit.
    (write,) = [n for n, s in enumerate(reviewing) if s.startswith("INSERT INTO priority_review")]
    assert all(not s.startswith("SELECT") for s in reviewing[write + 1 :])
    assert sum("FROM zendesk_user" in s for t in transactions for s in t) == 1  # and only there


def test_choosing_a_priority_sets_it_in_zendesk(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    clock.advance(minutes=5)
    slack.select(select_of(card), "101:high", user="U2")
    assert [(w.ticket_id, w.body) for w in fake_zendesk.writes] == [
        (101, {"ticket": {"priority": "high"}})
    ]
    assert [r.method for r in fake_zendesk.requests] == ["PUT"]
    assert reviews(zendesk_services) == [(101, "U2", "high", "card")]
    with zendesk_services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=101)
    assert ticket is not None and (ticket.priority, ticket.previous_priority) == ("high", "normal")
    text = FakeSlack.texts(replaced_card(fake_slack))
    assert "Priority set to High by <@U2> at Wed 2 Dec, 10:05 GMT" in text
    assert "*Priority*\nHigh" in text


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (500, "Zendesk is not answering (HTTP 500); try again in a few minutes"),
        (403, "Zendesk does not allow Rotabot's user to read or change ticket 101 (403)"),
    ],
)
def test_a_zendesk_failure_shows_on_the_card_and_records_nothing(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    status: int,
    sentence: str,
) -> None:
    fake_zendesk.fail("/api/v2/tickets/101.json", status=status, times=4, method="PUT")
    slack.select(select_of(card), "101:urgent", user="U1")
    assert reviews(zendesk_services) == []
    text = FakeSlack.texts(replaced_card(fake_slack))
    assert f":warning: {sentence}. Nothing was recorded." in text
    assert "*Priority*\nNormal" in text


def test_a_closed_ticket_refuses_the_change_in_zendesks_words(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    fake_zendesk.update_ticket(101, status="closed")
    slack.select(select_of(card), "101:low", user="U1")
    assert fake_zendesk.writes == []
    assert reviews(zendesk_services) == []
    text = FakeSlack.texts(replaced_card(fake_slack))
    assert (
        ":warning: Zendesk refused the change: Status: closed prevents ticket update. "
        "Nothing was recorded."
    ) in text


def test_a_ticket_deleted_since_the_card_was_shown(
    zendesk_services: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    button = {"action_id": "ticket.priority.right", "value": "555", "type": "button"}
    slack.click(button, user="U1")
    (response,) = fake_slack.responses
    assert response.body["text"] == "I can't find ticket #555 in Zendesk."
    assert reviews(zendesk_services) == []


def test_a_tampered_value_gets_a_sentence(
    zendesk_services: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.click({"action_id": "ticket.priority.right", "value": "abc"}, user="U1")
    (response,) = fake_slack.responses
    assert response.body["text"].startswith("That card is out of date")
    assert reviews(zendesk_services) == []


def test_a_click_on_a_card_unchanged_since_it_was_read_writes_the_review_alone(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> None:
    """Reviews are watched apart from the card's facts: the first click reads the card (its
    mirror changed when the assignee was matched in Slack) and remembers it; the next writes
    the review and shows it without reading the card again; a card asked for after that
    reads only the review."""
    statements: list[str] = []
    record_app_sql(zendesk_services.engine, statements)
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    assert any("FROM zendesk_user" in s for s in statements)
    fake_slack.clear()
    statements.clear()
    clock.advance(minutes=5)
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    text = FakeSlack.texts(replaced_card(fake_slack))
    assert "Priority reviewed by <@U1> at Wed 2 Dec, 10:05 GMT" in text
    assert "*Priority*\nNormal" in text and "Acme Ltd" in text
    assert [s.split(" (")[0] for s in statements if "change_count" not in s] == [
        "INSERT INTO priority_review"
    ]
    assert reviews(zendesk_services) == [(101, "U1", None, "card")] * 2
    # The card asked for now reads the last review again, and nothing else.
    fake_slack.clear()
    statements.clear()
    slack.command("/ticket", "101", user="U1")
    (shown,) = fake_slack.responses
    assert "Priority reviewed by <@U1> at Wed 2 Dec, 10:05 GMT" in FakeSlack.texts(shown)
    read = [s for s in statements if "change_count" not in s]
    assert len(read) == 1 and "FROM priority_review" in read[0]


def test_a_click_after_another_process_changed_the_ticket_reads_the_card_again(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    settings: Settings,
) -> None:
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")  # remembered now
    fake_slack.clear()
    # Another process (its own engine on the same database) changes the ticket in the mirror.
    other = make_engine(settings.database_url)
    try:
        with session_scope(other) as session:
            ticket = ticket_by_id(session=session, ticket_id=101)
            assert ticket is not None
            ticket.priority = "urgent"
            session.add(ticket)
    finally:
        other.dispose()
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    assert "*Priority*\nUrgent" in FakeSlack.texts(replaced_card(fake_slack))


def test_a_card_remembered_before_a_click_shows_the_review_the_click_wrote(
    zendesk_services: Services,
    card: ResponseCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
) -> None:
    """The card's facts stay remembered across the click; its review does not."""
    slack.command("/ticket", "101", user="U1")  # the facts remembered, with no review yet
    assert "Priority reviewed" not in FakeSlack.texts(fake_slack.responses[-1])
    fake_slack.clear()
    statements: list[str] = []
    record_app_sql(zendesk_services.engine, statements)
    slack.click(FakeSlack.find_button(card, "Priority is right"), user="U1")
    assert [s.split(" (")[0] for s in statements if "change_count" not in s] == [
        "INSERT INTO priority_review"
    ]
    fake_slack.clear()
    slack.command("/ticket", "101", user="U1")
    (shown,) = fake_slack.responses
    assert "Priority reviewed by <@U1> at Wed 2 Dec, 10:00 GMT" in FakeSlack.texts(shown)
