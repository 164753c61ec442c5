"""Mirroring one ticket now: read through the API, written, and its promises noticed."""

from __future__ import annotations

from sqlmodel import select

from bot.services import Services
from bot.store.promises import Promise
from bot.tickets.refresh import mirrored_or_fetched, refresh_ticket
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
