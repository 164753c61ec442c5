"""Chargeable work changes hands: the escalation reassigns and tags the ticket in Zendesk,
the lead or the raiser takes it back; all through signed requests and both fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.blocks.escalation import escalate_button
from bot.jobs import priority_review, weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.escalations import Escalation
from tests.blocks.helpers import client_figure
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import (
    ALICE,
    CHANNEL,
    CLIENT,
    U_ALICE,
    U_KIM,
    U_LEE,
    U_SAM,
    digest_lines,
    mirror,
    team,
)

TUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
LEE_ZENDESK = 20
WHY = "Wants a new booking feature: new development"


@pytest.fixture
def tickets(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    clock.set(TUE - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_zendesk.add_user(LEE_ZENDESK, name="Lee Lead", email="LEE@team.test", role="agent")
    fake_zendesk.add_group(300, name="Client services")
    for ticket_id, org in ((101, 50), (102, 60), (103, 50)):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Feature request {ticket_id}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            organization_id=org,
            tags=["web"],
            created_at=TUE - timedelta(days=1),
        )
    mirror(zendesk_services)
    clock.set(TUE)
    fake_slack.clear()
    fake_zendesk.clear()
    return zendesk_services


def escalate(slack: SlackDoor, fake_slack: FakeSlack, ticket_id: int, note: str = WHY) -> Any:
    slack.click(escalate_button(ticket_id), user=U_ALICE)
    view = fake_slack.last("views.open").args["view"]
    values = {
        "reason": {
            "escalation.reason": {
                "type": "static_select",
                "selected_option": {"value": "out-of-scope"},
            }
        },
        "note": {"escalation.note": {"type": "plain_text_input", "value": note or None}},
    }
    return slack.submit_view(view, values, user=U_ALICE)


def only_escalation(services: Services) -> Escalation:
    with services.session() as session:
        (found,) = session.exec(select(Escalation)).all()
        return found


def test_chargeable_work_goes_to_the_lead_and_leaves_the_raisers_digests(
    tickets: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    escalate(slack, fake_slack, 101)

    assign, note = fake_zendesk.writes
    assert assign.body == {
        "ticket": {"assignee_id": LEE_ZENDESK, "additional_tags": ["chargeable"]}
    }
    zendesk_ticket = fake_zendesk.ticket(101)
    assert zendesk_ticket["assignee_id"] == LEE_ZENDESK
    assert zendesk_ticket["tags"] == ["web", "chargeable"]
    assert note.body["ticket"]["comment"] == {
        "body": "Escalated to the delivery lead (Lee Lead) by Alice Agent through Rotabot.\n"
        "Reason: Out of scope — chargeable work\n"
        f"Note: {WHY}\n"
        "Reassigned to Lee Lead as chargeable work (tag chargeable).",
        "public": False,
    }
    (dm,) = fake_slack.messages_to(U_LEE)
    assert (
        ":inbox_tray: The ticket is now yours in Zendesk: assigned to you, tagged `chargeable`."
        in FakeSlack.texts(dm)
    )
    FakeSlack.find_button(dm, "Take it back")
    (told,) = fake_slack.messages_to(U_ALICE)
    assert (
        "The ticket is assigned to Lee Lead in Zendesk and tagged `chargeable`, so it leaves"
        in FakeSlack.texts(told)
    )
    FakeSlack.find_button(told, "Take it back")

    # After the next sync the digests follow: #101 is now the lead's, #102 and #103 Alice's.
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    mirror(tickets)
    fake_slack.clear()
    run_job(tickets, priority_review.JOB, now=datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    (alice_digest,) = fake_slack.messages_to(U_ALICE)
    assert [line.split()[0] for line in digest_lines(alice_digest)] == ["#102", "#103"]
    (lee_digest,) = fake_slack.messages_to(U_LEE)
    assert [line.split()[0] for line in digest_lines(lee_digest)] == ["#101"]


def test_the_raiser_takes_it_back_and_the_lead_hears(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    escalate(slack, fake_slack, 101)
    (told,) = fake_slack.messages_to(U_ALICE)
    fake_slack.clear()
    fake_zendesk.clear()
    slack.click(FakeSlack.find_button(told, "Take it back"), user=U_ALICE, channel="DUALICE")

    (undo,) = fake_zendesk.writes
    assert undo.body["ticket"]["assignee_id"] == ALICE
    assert undo.body["ticket"]["remove_tags"] == ["chargeable"]
    assert undo.body["ticket"]["comment"]["public"] is False
    assert fake_zendesk.ticket(101)["assignee_id"] == ALICE
    assert fake_zendesk.ticket(101)["tags"] == ["web"]
    (replaced,) = fake_slack.responses
    assert replaced.body["replace_original"] is True
    assert "took back" in replaced.body["text"]
    (lead_dm,) = fake_slack.calls_to("chat.update")
    assert ":leftwards_arrow_with_hook: Taken back by <@UALICE>" in FakeSlack.texts(lead_dm)
    (lead_told,) = fake_slack.messages_to(U_LEE)
    assert lead_told.args["text"].startswith("<@UALICE> took back <")
    assert only_escalation(tickets).taken_back_by == U_ALICE

    # A second click changes nothing; someone else may not.
    fake_slack.clear()
    fake_zendesk.clear()
    slack.click(FakeSlack.find_button(told, "Take it back"), user=U_LEE, channel="DULEE")
    (again,) = fake_slack.responses
    assert again.body["text"] == "It has been taken back already: nothing changed."
    assert fake_zendesk.writes == []


def test_a_lead_without_a_zendesk_account_and_no_group_is_explained(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    escalate(slack, fake_slack, 102)  # Globex: Kim, who has no Zendesk user
    (note,) = fake_zendesk.writes
    assert (
        "Not reassigned: the lead has no Zendesk agent account with their Slack email, and "
        "ROTABOT_CHARGEABLE_GROUP names no group to assign it to."
    ) in note.body["ticket"]["comment"]["body"]
    assert fake_zendesk.ticket(102)["assignee_id"] == ALICE
    (dm,) = fake_slack.messages_to(U_KIM)
    assert ":warning: The ticket was not reassigned in Zendesk: the lead has no Zendesk agent" in (
        FakeSlack.texts(dm)
    )
    (told,) = fake_slack.messages_to(U_ALICE)
    assert ":warning: I couldn't reassign it in Zendesk" in told.args["text"]
    assert "Please assign it yourself." in told.args["text"]
    assert only_escalation(tickets).state == "raised"


def test_without_a_zendesk_account_the_ticket_goes_to_the_chargeable_group(
    tickets: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    tickets.settings = replace(tickets.settings, chargeable_group="client services")
    escalate(slack, fake_slack, 102)
    assign, _note = fake_zendesk.writes
    assert assign.body["ticket"] == {
        "group_id": 300,
        "assignee_id": None,
        "additional_tags": ["chargeable"],
    }
    assert fake_zendesk.ticket(102)["group_id"] == 300
    assert fake_zendesk.ticket(102)["assignee_id"] is None
    (dm,) = fake_slack.messages_to(U_KIM)
    assert "assigned in Zendesk to the group Client services, tagged `chargeable`" in (
        FakeSlack.texts(dm)
    )
    # Unassigned now, it is nobody's in the digests: not the person on support's either.
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    mirror(tickets)
    fake_slack.clear()
    run_job(tickets, priority_review.JOB, now=datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    (alice_digest,) = fake_slack.messages_to(U_ALICE)
    assert [line.split()[0] for line in digest_lines(alice_digest)] == ["#101", "#103"]
    assert fake_slack.messages_to(U_SAM) == []
    # The lead takes it back: group and assignee as they were.
    fake_zendesk.clear()
    slack.click(FakeSlack.find_button(dm, "Take it back"), user=U_KIM, channel="DUKIM")
    (undo,) = fake_zendesk.writes
    assert undo.body["ticket"]["group_id"] is None and undo.body["ticket"]["assignee_id"] == ALICE
    (replaced,) = fake_slack.responses
    assert "Taken back by <@UKIM>" in FakeSlack.texts(replaced)


def test_zendesk_refusing_the_reassignment_loses_nothing(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    refusal = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"assignee": [{"description": "Assignee is not a member of the group"}]},
    }
    fake_zendesk.fail("/api/v2/tickets/101.json", status=422, method="PUT", body=refusal)
    escalate(slack, fake_slack, 101)
    (note,) = fake_zendesk.writes
    assert WHY in note.body["ticket"]["comment"]["body"]
    assert fake_zendesk.ticket(101)["tags"] == ["web"]
    (told,) = fake_slack.messages_to(U_ALICE)
    assert (
        ":warning: I couldn't reassign it in Zendesk: Zendesk refused the change: Assignee is "
        "not a member of the group." in told.args["text"]
    )
    assert len(fake_slack.messages_to(U_LEE)) == 1 and len(fake_slack.messages_to(CHANNEL)) == 1


def test_chargeable_work_needs_an_explanation(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    response = escalate(slack, fake_slack, 101, note="")
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "note": "Say why the work is chargeable: the lead gets the ticket with this "
            "explanation, and so does Zendesk's internal note."
        },
    }
    assert fake_zendesk.writes == []


def test_the_weekly_summary_counts_chargeable_tickets_per_client(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    escalate(slack, fake_slack, 101)
    escalate(slack, fake_slack, 103)
    escalate(slack, fake_slack, 102)
    fake_slack.clear()
    run_job(tickets, weekly_summary.JOB, now=datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    summary = FakeSlack.texts(fake_slack.messages_to(CHANNEL)[0])
    assert "*Per client, last week*" in summary and "*Last week per client*" not in summary
    assert client_figure(summary, "Acme Ltd", "Chargeable") == "2"
    assert client_figure(summary, "Globex", "Chargeable") == "1"
    assert client_figure(summary, "All clients", "Chargeable") == "3"


def test_zendesk_refusing_to_take_it_back_changes_nothing(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    escalate(slack, fake_slack, 101)
    (dm,) = fake_slack.messages_to(U_LEE)
    fake_zendesk.clear()
    fake_zendesk.fail("/api/v2/tickets/101.json", status=422, method="PUT")
    slack.click(FakeSlack.find_button(dm, "Take it back"), user=U_LEE, channel="DULEE")
    (refused,) = fake_slack.responses
    assert refused.body["text"].startswith(":warning: I couldn't take it back: Zendesk refused")
    assert refused.body["text"].endswith("Nothing changed.")
    assert refused.body["replace_original"] is False
    assert only_escalation(tickets).taken_back_at is None
    assert fake_zendesk.ticket(101)["assignee_id"] == LEE_ZENDESK
    # Someone who is neither the lead nor the raiser may not.
    slack.click(FakeSlack.find_button(dm, "Take it back"), user=U_SAM, channel="DUSAM")
    assert fake_slack.responses[-1].body["text"] == (
        "Only the delivery lead or the person who escalated it can take it back."
    )
