"""Priority actions: a review is recorded; a change goes to Zendesk before anything is kept."""

from __future__ import annotations

import pytest

from bot.services import Services
from bot.store.priority_reviews import last_priority_review
from bot.store.tickets import ticket_by_id
from bot.tickets.priority import change_priority, confirm_priority
from bot.zendesk.client import ZendeskNotFound
from tests.fakes.zendesk_api import FakeZendesk

CLIENT, ALICE = 1, 7


@pytest.fixture
def zendesk(fake_zendesk: FakeZendesk) -> FakeZendesk:
    fake_zendesk.add_user(CLIENT, name="Carol Client", email="carol@acme.test", role="end-user")
    fake_zendesk.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    fake_zendesk.add_ticket(101, subject="Site down", requester_id=CLIENT, assignee_id=ALICE)
    return fake_zendesk


def test_confirming_records_a_review_without_changing_zendesk(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    confirmed = confirm_priority(zendesk_services, 101, slack_user="U1")
    assert confirmed.ticket.priority == "normal"
    assert [r.method for r in zendesk.requests_to("/api/v2/tickets/")] == ["GET", "GET"]
    assert zendesk.requests_to("/api/v2/tickets/show_many.json")[0].query == {"ids": "101"}
    with zendesk_services.session() as session:
        review = last_priority_review(session=session, ticket_id=101)
    assert review is not None
    assert (review.reviewed_by, review.source, review.priority_set) == ("U1", "card", None)
    assert confirmed.review.id == review.id


def test_a_change_is_set_in_zendesk_then_mirrored_and_recorded(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    ticket = change_priority(zendesk_services, 101, "urgent", slack_user="U1", source="digest")
    assert ticket.priority == "urgent"
    assert zendesk.ticket(101)["priority"] == "urgent"
    with zendesk_services.session() as session:
        mirrored = ticket_by_id(session=session, ticket_id=101)
        review = last_priority_review(session=session, ticket_id=101)
    assert mirrored is not None and mirrored.priority == "urgent"
    assert review is not None
    assert (review.reviewed_by, review.source, review.priority_set) == ("U1", "digest", "urgent")


def test_an_unknown_priority_is_refused_before_asking_zendesk(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    with pytest.raises(ValueError, match="not a Zendesk priority"):
        change_priority(zendesk_services, 101, "critical", slack_user="U1")
    assert zendesk.requests == []


def test_a_change_zendesk_refuses_records_nothing(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    with pytest.raises(ZendeskNotFound):
        change_priority(zendesk_services, 999, "high", slack_user="U1")
    with zendesk_services.session() as session:
        assert last_priority_review(session=session, ticket_id=999) is None
