"""The digest's buttons, clicked through signed requests: Zendesk, the records, the line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import ids
from bot.jobs import priority_review
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.priority_reviews import PriorityReview
from bot.store.tickets import ticket_by_id
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import (
    ALICE,
    CLIENT,
    U_ALICE,
    U_SAM,
    as_clicked,
    digest_lines,
    mirror,
    team,
)

MON_0930 = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


@pytest.fixture
def digest(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    slack: SlackDoor,
    clock: MutableClock,
) -> SlackCall:
    clock.set(MON_0930 - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    for ticket_id, priority in ((101, "urgent"), (102, "low")):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            priority=priority,
            created_at=MON_0930 - timedelta(days=3),
        )
    mirror(zendesk_services)
    clock.set(MON_0930)
    run_job(zendesk_services, priority_review.JOB, now=MON_0930)
    (sent,) = fake_slack.messages_to(U_ALICE)
    fake_slack.clear()
    fake_zendesk.clear()
    return sent


def reviews(services: Services) -> list[tuple[int, str, str | None, str]]:
    with services.session() as session:
        return [
            (r.ticket_id, r.reviewed_by, r.priority_set, r.source)
            for r in session.exec(select(PriorityReview))
        ]


def line_select(call: SlackCall, ticket_id: int) -> dict[str, Any]:
    for block in call.args["blocks"]:
        if block.get("block_id") == f"digest.actions.{ticket_id}":
            (found,) = [e for e in block["elements"] if e["type"] == "static_select"]
            return dict(found)
    raise AssertionError(f"no select for {ticket_id}")


def test_priority_is_right_records_the_review_and_updates_the_line(
    zendesk_services: Services,
    digest: SlackCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    channel, message = as_clicked(zendesk_services, digest)
    button = FakeSlack.find_button(digest, "Priority is right")
    assert button["value"] == "101"
    slack.click(button, user=U_ALICE, channel=channel, message=message)
    assert reviews(zendesk_services) == [(101, U_ALICE, None, "digest")]
    assert fake_zendesk.writes == []
    (response,) = fake_slack.responses
    assert response.body["replace_original"] is True
    text = FakeSlack.texts(response)
    assert ":white_check_mark: #101: <@UALICE> confirmed the priority (Urgent)." in text
    assert "Ticket 102" in text
    block_ids = [b.get("block_id") for b in response.body["blocks"]]
    assert "digest.actions.101" not in block_ids and "digest.actions.102" in block_ids
    # Reviewed, 101 leaves tomorrow's digest.
    fake_slack.clear()
    run_job(zendesk_services, priority_review.JOB, now=MON_0930 + timedelta(days=1))
    (tomorrow,) = fake_slack.messages_to(U_ALICE)
    assert not any("Ticket 101" in line for line in digest_lines(tomorrow))


def test_choosing_a_priority_sets_it_in_zendesk(
    zendesk_services: Services,
    digest: SlackCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    channel, message = as_clicked(zendesk_services, digest)
    slack.select(
        line_select(digest, 102), "102:high", user=U_ALICE, channel=channel, message=message
    )
    assert [(w.ticket_id, w.body) for w in fake_zendesk.writes] == [
        (102, {"ticket": {"priority": "high"}})
    ]
    assert reviews(zendesk_services) == [(102, U_ALICE, "high", "digest")]
    with zendesk_services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=102)
    assert ticket is not None and ticket.priority == "high"
    (response,) = fake_slack.responses
    assert ":white_check_mark: #102: <@UALICE> set the priority to High." in FakeSlack.texts(
        response
    )


def test_zendesk_refusing_the_change_is_explained_and_nothing_recorded(
    zendesk_services: Services,
    digest: SlackCall,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    fake_zendesk.fail("/api/v2/tickets/102", status=403, method="PUT")
    channel, message = as_clicked(zendesk_services, digest)
    slack.select(
        line_select(digest, 102), "102:high", user=U_ALICE, channel=channel, message=message
    )
    assert reviews(zendesk_services) == []
    (response,) = fake_slack.responses
    assert response.body["response_type"] == "ephemeral"
    assert response.body["replace_original"] is False
    assert "(403). The priority was not changed." in response.body["text"]


def test_someone_else_clicking_is_politely_refused(
    zendesk_services: Services, digest: SlackCall, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    channel, message = as_clicked(zendesk_services, digest)
    slack.click(
        FakeSlack.find_button(digest, "Priority is right"),
        user=U_SAM,
        channel=channel,
        message=message,
    )
    assert reviews(zendesk_services) == []
    (response,) = fake_slack.responses
    assert response.body["text"] == (
        "Sorry, this digest was sent to <@UALICE>; only they can answer it here."
    )
    assert response.body["response_type"] == "ephemeral"


def test_open_in_zendesk_is_only_acknowledged(
    zendesk_services: Services, digest: SlackCall, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    button = {"action_id": ids.OPEN_IN_ZENDESK, "value": "101"}
    assert slack.click(button, user=U_ALICE).status_code == 200
    assert fake_slack.responses == []
