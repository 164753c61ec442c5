"""Ticket data and card helpers shared by the /ticket handler tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk

MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CLIENT, ALICE = 1, 7


def shown_card(fake_zendesk: FakeZendesk, slack: SlackDoor, fake_slack: FakeSlack) -> ResponseCall:
    """Ticket 101's card, as `/ticket 101` showed it to U1; the fakes' records cleared."""
    seed_ticket(fake_zendesk)
    slack.command("/ticket", "101", user="U1")
    (shown,) = fake_slack.responses
    fake_slack.clear()
    fake_zendesk.clear()
    return shown


def seed_ticket(fake: FakeZendesk) -> None:
    fake.add_organization(50, name="Acme Ltd")
    fake.add_user(
        CLIENT, name="Carol Client", email="carol@acme.test", role="end-user", organization_id=50
    )
    fake.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    fake.add_ticket(
        101,
        subject="Printer <on> fire",
        requester_id=CLIENT,
        assignee_id=ALICE,
        organization_id=50,
        priority="normal",
        created_at=MON,
    )
    fake.add_comment(101, author_id=CLIENT, body="It broke", created_at=MON)
    fake.add_comment(101, author_id=ALICE, body="On it", created_at=MON + timedelta(hours=2))
    fake.add_comment(
        101, author_id=CLIENT, body="News?", created_at=MON + timedelta(days=1, hours=2)
    )


def select_of(response: ResponseCall) -> dict[str, Any]:
    for block in response.body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("type") == "static_select":
                return dict(element)
    raise AssertionError("the card has no priority select")
