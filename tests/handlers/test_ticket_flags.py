"""Flags on the card and the digests, end to end: Zendesk → sync → signed /ticket and jobs →
Slack. An unhappy client (with *Escalate*, reason chosen) and a requester not authorised."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.jobs import client_waiting, priority_review
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import ALICE, CLIENT, U_ALICE, mirror, team

TUE_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TUE_15 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
UPSET = "Hello. This is the third time I have asked about the login page!"
OUTSIDER = 3


@pytest.fixture
def tickets(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    """301: Carol is upset. 302: Carol is calm. 303: from Olga, who is not in Acme."""
    clock.set(TUE_10)
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_zendesk.add_user(
        OUTSIDER, name="Olga Outsider", email="olga@else.test", role="end-user", organization_id=60
    )
    for ticket_id, requester, said in (
        (301, CLIENT, UPSET),
        (302, CLIENT, "No rush at all, thanks, that's not a problem."),
        (303, OUTSIDER, "Please change the homepage banner."),
    ):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}",
            requester_id=requester,
            assignee_id=ALICE,
            organization_id=50,
            created_at=TUE_10,
        )
        fake_zendesk.add_comment(ticket_id, author_id=requester, body=said, created_at=TUE_10)
    clock.advance(minutes=5)  # past the export's last minute
    mirror(zendesk_services)
    fake_slack.clear()
    return zendesk_services


def card_text(slack: SlackDoor, fake_slack: FakeSlack, ticket_id: int) -> str:
    fake_slack.clear()
    slack.command("/ticket", str(ticket_id), user=U_ALICE)
    (card,) = fake_slack.responses
    return FakeSlack.texts(card)


def test_the_card_says_the_client_sounds_unhappy_and_escalate_chooses_the_reason(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "301", user=U_ALICE)
    (card,) = fake_slack.responses
    assert (
        "client sounds unhappy: “This is the third time I have asked about the login page!”"
        in FakeSlack.texts(card)
    )
    escalate = FakeSlack.find_button(card, "Escalate")
    assert (escalate["action_id"], escalate["value"]) == ("escalation.open", "301:unhappy")
    slack.click(escalate, user=U_ALICE)
    view = fake_slack.last("views.open").args["view"]
    reason = next(b for b in view["blocks"] if b.get("block_id") == "reason")["element"]
    assert reason["initial_option"]["value"] == "unhappy"
    assert reason["initial_option"]["text"]["text"] == "Client is unhappy"


def test_a_calm_client_and_an_authorised_requester_carry_no_flags(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    text = card_text(slack, fake_slack, 302)
    assert "sounds unhappy" not in text and "not authorised" not in text


def test_a_requester_outside_the_client_is_not_authorised(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    assert "requester not authorised for Acme Ltd" in card_text(slack, fake_slack, 303)
    assert "not authorised" not in card_text(slack, fake_slack, 301)


def test_with_an_authorised_tag_only_tagged_members_are_authorised(
    tickets: Services,
    fake_zendesk: FakeZendesk,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> None:
    tickets.settings = replace(tickets.settings, authorised_tag="authorised")
    assert "requester not authorised for Acme Ltd" in card_text(slack, fake_slack, 302)
    fake_zendesk.add_user(
        CLIENT,
        name="Carol Client",
        email="carol@acme.test",
        role="end-user",
        organization_id=50,
        tags=["Authorised"],
    )
    fake_zendesk.update_ticket(302, subject="Ticket 302, again")
    clock.advance(minutes=2)  # past the export's last minute
    mirror(tickets)
    assert "not authorised" not in card_text(slack, fake_slack, 302)


def test_the_client_waiting_digest_carries_both_flags(
    tickets: Services, fake_slack: FakeSlack
) -> None:
    run_job(tickets, client_waiting.JOB, now=TUE_15)
    (digest,) = fake_slack.messages_to(U_ALICE)
    text = FakeSlack.texts(digest)
    assert "client sounds unhappy: “This is the third time I have asked" in text
    assert "requester not authorised for Acme Ltd" in text
    escalates = [
        (b["action_id"], b["value"])
        for block in digest.args["blocks"]
        if block["type"] == "actions"
        for b in block["elements"]
        if b["text"]["text"] == "Escalate"
    ]
    assert ("escalation.open", "301:unhappy") in escalates
    assert ("escalation.open", "302") in escalates


def test_the_priority_review_digest_says_who_is_not_authorised(
    tickets: Services, fake_slack: FakeSlack
) -> None:
    run_job(tickets, priority_review.JOB, now=TUE_15)
    (digest,) = fake_slack.messages_to(U_ALICE)
    lines = [
        block["text"]["text"]
        for block in digest.args["blocks"]
        if str(block.get("block_id", "")).startswith("digest.line.")
    ]
    flagged = [line for line in lines if "not authorised" in line]
    assert len(flagged) == 1 and "#303" in flagged[0]
