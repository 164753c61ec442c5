"""The /ticket card's facts, gathered from the mirror."""

from __future__ import annotations

from bot.services import Services
from bot.tickets.card import mirrored_card, ticket_card
from bot.tickets.refresh import refresh_ticket
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import ALICE, seed_ticket


def test_a_ticket_the_mirror_lacks_has_no_card(zendesk_services: Services) -> None:
    assert mirrored_card(zendesk_services, 404) is None


def test_the_card_names_the_client_and_people_from_the_mirror(
    zendesk_services: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack
) -> None:
    seed_ticket(fake_zendesk)
    fake_zendesk.add_user(ALICE, name="", email="alice@team.test", role="agent")
    fake_slack.add_user("UA", name="alice", email="alice@team.test")
    ticket = refresh_ticket(zendesk_services, 101)
    card = ticket_card(zendesk_services, ticket)
    assert card.url == f"{fake_zendesk.url}/agent/tickets/101"
    assert (card.client, card.requester) == ("Acme Ltd", "Carol Client")
    # Without a name in Zendesk, a person is shown by their email.
    assert (card.assignee, card.last_reply_by) == ("alice@team.test", "alice@team.test")
    assert card.assignee_slack_id == "UA"
    assert card.assignee_match_is_fresh(zendesk_services.now())
    assert card.promises == [] and card.review is None
