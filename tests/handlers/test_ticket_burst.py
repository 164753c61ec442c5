"""A burst of `/ticket`s for tickets the mirror lacks: read from Zendesk together, each card
read in the transaction that mirrors them, with one query of each kind for the whole burst,
and each person shown their own ticket's card, the same card the mirror gives afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event

from bot.services import Services, zendesk_of
from bot.store.zendesk_people import ZendeskUser
from tests.blocks.helpers import promise
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import ALICE, CLIENT, seed_ticket
from tests.jobs.digest_helpers import reviewed

OUTSIDER, OTHER_ORG = 2, 60
BURST = (102, 103, 104)


@pytest.fixture
def released() -> threading.Event:
    return threading.Event()


@pytest.fixture
def fake_zendesk(clock: MutableClock, released: threading.Event) -> Iterator[FakeZendesk]:
    """The fake holds each read of tickets until the test releases it (see `delay`)."""
    fake = FakeZendesk(now=clock, sleep=lambda _seconds: released.wait(10))
    fake.start()
    try:
        yield fake
    finally:
        released.set()
        fake.stop()


def seed(fake: FakeZendesk, fake_slack: FakeSlack) -> None:
    seed_ticket(fake)  # 101, for Acme Ltd, by its client, assigned to Alice
    fake.add_organization(OTHER_ORG, name="Beta plc")
    fake.add_user(OUTSIDER, name="Oscar Outsider", email="oscar@else.test", role="end-user")
    # Asked for Beta plc by someone who is not theirs: flagged.
    fake.add_ticket(
        102, subject="Invoice", requester_id=OUTSIDER, assignee_id=ALICE, organization_id=OTHER_ORG
    )
    # An unhappy client, with no organization.
    fake.add_ticket(103, subject="Again", requester_id=CLIENT, assignee_id=ALICE)
    fake.add_comment(103, author_id=CLIENT, body="This is the third time it has gone down.")
    # Nobody assigned.
    fake.add_ticket(104, subject="Question", requester_id=CLIENT, organization_id=50)
    fake.add_ticket(105, subject="Warm-up", requester_id=CLIENT, assignee_id=ALICE)
    fake_slack.add_user("UALICE", name="alice", email="alice@team.test")


def callers_reach(services: Services, count: int) -> None:
    """Wait (on the app's threads, not on a clock) until `count` callers wait for a read."""
    reads = zendesk_of(services).ticket_reads
    deadline = time.monotonic() + 10
    while reads.callers < count:
        assert time.monotonic() < deadline, f"{reads.callers} callers, not {count}"
        time.sleep(0.005)


def cards_by_ticket(fake_slack: FakeSlack) -> dict[str, dict[str, object]]:
    return {str(r.body["text"]).split(":")[0]: r.body for r in fake_slack.responses}


def test_a_burst_of_tickets_is_read_together_with_their_cards(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    slack: SlackDoor,
    clock: MutableClock,
    released: threading.Event,
) -> None:
    seed(fake_zendesk, fake_slack)
    with zendesk_services.session() as session:
        # Alice's Slack match is fresh, so every card can be read with the write.
        session.add(ZendeskUser(id=ALICE, name="Alice Agent", slack_checked_at=clock()))
        due = clock() + timedelta(days=1)
        session.add(promise(id=None, ticket_id=103, owner="UALICE", due_at=due, note="Call back"))
        session.commit()
    reviewed(zendesk_services, 102, clock() - timedelta(hours=3))
    reviewed(zendesk_services, 104, clock() - timedelta(days=2))
    # Once U1 is known to see tickets, the ack leaves a card Zendesk must give to be read with
    # the ticket's write.
    slack.command("/ticket", "105")
    fake_zendesk.clear()
    fake_slack.clear()
    fake_zendesk.delay("/api/v2/tickets/show_many", 1.0)
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    # The first read holds while the burst arrives; the burst goes in the next read.
    slack.command("/ticket", "101", settle=False)
    callers_reach(zendesk_services, 1)
    for ticket_id in BURST:
        slack.command("/ticket", str(ticket_id), settle=False)
    callers_reach(zendesk_services, 1 + len(BURST))
    event.listen(zendesk_services.engine, "before_cursor_execute", note)
    try:
        released.set()
        slack.settle()
    finally:
        event.remove(zendesk_services.engine, "before_cursor_execute", note)

    reads = [r for r in fake_zendesk.requests if r.path == "/api/v2/tickets/show_many.json"]
    assert [r.query["ids"] for r in reads] == ["101", "102,103,104"]
    # Two reads, each with its cards: one query of each kind per read, not per ticket.
    assert len([s for s in statements if "FROM priority_review" in s]) == 2
    assert len([s for s in statements if "FROM promise " in s]) == 2
    assert len([s for s in statements if s.startswith("SAVEPOINT")]) == 2

    merged = cards_by_ticket(fake_slack)
    assert sorted(merged) == ["Ticket #101", "Ticket #102", "Ticket #103", "Ticket #104"]
    texts = {ticket: FakeSlack.texts(card) for ticket, card in merged.items()}
    assert "Acme Ltd" in texts["Ticket #101"]
    assert "Oscar Outsider" in texts["Ticket #102"] and "Beta plc" in texts["Ticket #102"]
    assert "not authorised" in texts["Ticket #102"].lower()
    assert "third time" in texts["Ticket #103"] and "Call back" in texts["Ticket #103"]
    assert "Acme Ltd" in texts["Ticket #104"]
    assert "no client organization" in texts["Ticket #103"]
    assert "not authorised" not in texts["Ticket #104"].lower()
    # Each ticket's own last review, or none.
    assert "reviewed by <@USAM> at Wed 2 Dec, 07:00" in texts["Ticket #102"]
    assert "reviewed by <@USAM> at Mon 30 Nov" in texts["Ticket #104"]
    assert "reviewed by" not in texts["Ticket #101"] + texts["Ticket #103"]

    # The same cards as the mirror gives, one ticket at a time.
    fake_slack.clear()
    fake_zendesk.clear()
    for ticket_id in (101, *BURST):
        slack.command("/ticket", str(ticket_id))
    assert fake_zendesk.requests == []
    assert cards_by_ticket(fake_slack) == merged
