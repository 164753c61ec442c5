"""Mirroring one ticket now: read through the API, written, and its promises noticed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.services import Services
from bot.store.promises import Promise
from bot.store.zendesk_people import SeenInMirror, ZendeskUser
from bot.tickets.card import ticket_card
from bot.tickets.refresh import fetched_for_card, mirrored_or_fetched, refresh_ticket
from tests.doors import MutableClock, TrackingExecutor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

CLIENT, ALICE = 1, 7


def seed(fake: FakeZendesk) -> None:
    fake.add_user(CLIENT, name="Carol Client", email="carol@acme.test", role="end-user")
    fake.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    fake.add_ticket(101, subject="Site down", requester_id=CLIENT, assignee_id=ALICE)


def test_refresh_mirrors_the_ticket_and_who_replied_last(
    zendesk_services: Services, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    seed(fake_zendesk)
    fake_zendesk.add_comment(101, author_id=CLIENT, body="It broke")
    clock.advance(minutes=5)
    fake_zendesk.add_comment(101, author_id=ALICE, body="Looking now")
    ticket = refresh_ticket(zendesk_services, 101)
    assert ticket.subject == "Site down"
    assert ticket.last_agent_public_reply_by == ALICE
    assert ticket.last_agent_public_reply_at == clock()


def test_refresh_notices_a_promise_in_our_reply(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    executor: TrackingExecutor,
) -> None:
    fake_slack.add_user("UA", name="alice", email="alice@team.test")
    seed(fake_zendesk)
    fake_zendesk.add_comment(101, author_id=ALICE, body="I'll update you tomorrow.")
    ticket = refresh_ticket(zendesk_services, 101)
    # The ticket is given back first; its promises are noticed after, on the work pool.
    assert ticket.id == 101
    executor.settle()
    assert executor.errors == []
    with zendesk_services.session() as session:
        (promise,) = session.exec(select(Promise)).all()
    assert (promise.ticket_id, promise.owner) == (101, "UA")
    assert promise.note == "I'll update you tomorrow."


def test_a_mirrored_ticket_is_not_read_again(
    zendesk_services: Services, fake_zendesk: FakeZendesk
) -> None:
    seed(fake_zendesk)
    refresh_ticket(zendesk_services, 101)
    fake_zendesk.clear()
    assert mirrored_or_fetched(zendesk_services, 101).id == 101
    assert fake_zendesk.requests == []


def statements_during(services: Services) -> tuple[list[str], Callable[[], None]]:
    """Every SQL statement the services' engine runs until the returned stop is called."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(services.engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(services.engine, "before_cursor_execute", note)


def test_a_card_wanted_with_a_fetched_ticket_is_read_in_the_transaction_that_mirrored_it(
    zendesk_services: Services, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    seed(fake_zendesk)
    fake_zendesk.add_comment(101, author_id=CLIENT, body="It broke")
    with zendesk_services.session() as session:
        session.add(ZendeskUser(id=ALICE, name="Alice Agent", slack_checked_at=clock()))
        session.commit()
    sessions: list[object] = []

    def began(connection: object) -> None:
        sessions.append(connection)

    event.listen(zendesk_services.engine, "begin", began)
    try:
        refreshed = fetched_for_card(zendesk_services, 101)
    finally:
        event.remove(zendesk_services.engine, "begin", began)

    assert refreshed.card is not None
    assert refreshed.card == ticket_card(zendesk_services, refreshed.ticket)
    assert refreshed.card.requester == "Carol Client"
    # One to see who the mirror knows, one to write the ticket and read its card.
    assert len(sessions) == 2


def test_a_card_whose_assignee_match_is_due_is_left_to_the_caller(
    zendesk_services: Services, fake_zendesk: FakeZendesk
) -> None:
    """The match is checked with Slack, which is never asked inside a transaction."""
    seed(fake_zendesk)
    refreshed = fetched_for_card(zendesk_services, 101)
    assert refreshed.ticket.id == 101
    assert refreshed.card is None
    assert refresh_ticket(zendesk_services, 101).id == 101


def test_people_seen_in_the_mirror_are_not_looked_up_again(
    zendesk_services: Services, fake_zendesk: FakeZendesk
) -> None:
    """The mirror never forgets a person or an organization, so once seen, always known."""
    seed(fake_zendesk)
    fake_zendesk.add_organization(70, name="Acme Ltd")
    fake_zendesk.add_ticket(102, subject="Slow", requester_id=CLIENT, organization_id=70)
    fake_zendesk.add_ticket(103, subject="Down again", requester_id=CLIENT, organization_id=70)
    refresh_ticket(zendesk_services, 101)
    refresh_ticket(zendesk_services, 102)  # its organization is new: asked of Zendesk, written
    seen, stop = statements_during(zendesk_services)
    try:
        refresh_ticket(zendesk_services, 103)
    finally:
        stop()
    assert not [s for s in seen if s.startswith("SELECT zendesk_user.id FROM")]
    assert not [s for s in seen if s.startswith("SELECT zendesk_organization.id FROM")]
    asked = [request.path for request in fake_zendesk.requests]
    assert asked.count("/api/v2/organizations/show_many.json") == 1
    assert asked.count("/api/v2/users/show_many.json") == 1


def test_what_one_process_has_seen_starts_over_when_full() -> None:
    seen = SeenInMirror()
    seen.LIMIT = 3
    seen.saw({1, 2}, {9})
    assert seen.unseen({1, 2, 3}, {9, 8}) == ({3}, {8})
    seen.saw({3, 4}, set())
    assert seen.unseen({1, 3, 4}, {9}) == ({1}, set())


def test_a_card_that_cannot_be_read_with_the_write_leaves_the_write_and_the_caller_reads_it(
    zendesk_services: Services, fake_zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merged reads write many tickets at once: their cards failing must not undo them."""
    seed(fake_zendesk)

    def broken(*_args: object) -> None:
        raise RuntimeError("card broke")

    monkeypatch.setattr("bot.tickets.refresh.cards_in", broken)
    refreshed = fetched_for_card(zendesk_services, 101)
    assert refreshed.card is None
    assert mirrored_or_fetched(zendesk_services, 101).subject == "Site down"
