"""Escalation end to end: button → modal → lead's DM, channel thread, Zendesk internal note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.blocks.escalation import escalate_button
from bot.jobs import client_waiting
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.escalations import Escalation
from bot.store.rota import Rota
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
    mirror,
    team,
)

TUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
def tickets(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    slack: SlackDoor,
    clock: MutableClock,
) -> Services:
    clock.set(TUE - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    for ticket_id, org in ((101, 50), (102, 60)):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Broken after update {ticket_id}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            organization_id=org,
            created_at=TUE - timedelta(days=1),
        )
    mirror(zendesk_services)
    clock.set(TUE)
    fake_slack.clear()
    fake_zendesk.clear()
    return zendesk_services


def open_modal(slack: SlackDoor, fake_slack: FakeSlack, ticket_id: int) -> dict[str, Any]:
    slack.click(escalate_button(ticket_id), user=U_ALICE)
    view = fake_slack.last("views.open").args["view"]
    assert isinstance(view, dict)
    return view


def values(reason: str | None, note: str = "") -> dict[str, dict[str, Any]]:
    chosen = None if reason is None else {"value": reason}
    return {
        "reason": {"escalation.reason": {"type": "static_select", "selected_option": chosen}},
        "note": {"escalation.note": {"type": "plain_text_input", "value": note or None}},
    }


def escalations(services: Services) -> list[Escalation]:
    with services.session() as session:
        return list(session.exec(select(Escalation)))


def test_the_full_escalation_path(
    tickets: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    view = open_modal(slack, fake_slack, 101)
    assert view["private_metadata"] == "101"
    assert "goes to <@ULEE>, the delivery lead" in FakeSlack.texts(view)
    reasons = view["blocks"][1]["element"]["options"]
    assert [option["text"]["text"] for option in reasons] == [
        "Client is unhappy",
        "Out of scope — chargeable work",
        "Problem after an update has taken over 2 hours",
        "Other",
    ]
    response = slack.submit_view(view, values("unhappy", "Angry call <3"), user=U_ALICE)
    assert response.status_code == 200 and response.text == ""

    (dm,) = fake_slack.messages_to(U_LEE)
    dm_text = FakeSlack.texts(dm)
    assert "*Escalated to you:* <" in dm_text
    assert "|#101 Broken after update 101 (Acme Ltd)>" in dm_text
    assert (
        "*Reason:* Client is unhappy\n*Note:* Angry call &lt;3\n*Raised by:* <@UALICE>" in dm_text
    )
    acknowledge = FakeSlack.find_button(dm, "Acknowledge")
    FakeSlack.find_button(dm, "I'll contact the client")

    (line,) = fake_slack.messages_to(CHANNEL)
    assert "<@UALICE> escalated <" in FakeSlack.texts(line)
    assert "to <@ULEE>." in FakeSlack.texts(line)

    (write,) = fake_zendesk.writes
    assert write.ticket_id == 101
    assert write.body == {
        "ticket": {
            "comment": {
                "body": "Escalated to the delivery lead (Lee Lead) by Alice Agent through "
                "Rotabot.\nReason: Client is unhappy\nNote: Angry call <3",
                "public": False,
            }
        }
    }
    assert fake_zendesk.comments(101)[-1]["public"] is False

    (told,) = fake_slack.messages_to(U_ALICE)
    assert told.args["text"].startswith("I escalated <")
    assert "Zendesk has an internal note" in told.args["text"]
    (recorded,) = escalations(tickets)
    assert (recorded.reason, recorded.lead, recorded.state, recorded.zendesk_note_ok) == (
        "unhappy",
        U_LEE,
        "raised",
        True,
    )
    assert recorded.channel_ts is not None

    # The lead acknowledges: the DM updates, the thread and the raiser hear of it.
    fake_slack.clear()
    clock.advance(minutes=7)
    slack.click(acknowledge, user=U_LEE, channel="DULEE")
    (updated,) = fake_slack.responses
    assert updated.body["replace_original"] is True
    assert ":white_check_mark: Acknowledged by <@ULEE> (Tue 1 Dec, 11:07 GMT)" in (
        FakeSlack.texts(updated)
    )
    (reply,) = fake_slack.messages_to(CHANNEL)
    assert reply.args["thread_ts"] == recorded.channel_ts
    assert reply.args["text"].startswith("<@ULEE> acknowledged the escalation of <")
    (raiser,) = fake_slack.messages_to(U_ALICE)
    assert raiser.args["text"] == reply.args["text"]

    # Pressing again says nothing new; "I'll contact the client" does.
    fake_slack.clear()
    slack.click(acknowledge, user=U_LEE, channel="DULEE")
    assert fake_slack.calls_to("chat.postMessage") == []
    slack.click(FakeSlack.find_button(updated, "I'll contact the client"), user=U_LEE)
    (reply,) = fake_slack.messages_to(CHANNEL)
    assert reply.args["text"].startswith("<@ULEE> will contact the client about <")
    (recorded,) = escalations(tickets)
    assert recorded.state == "contacting"


def test_a_shared_rota_channel_hears_no_ticket_content(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    fake_slack.add_channel(CHANNEL, name="support-with-acme", ext_shared=True)
    view = open_modal(slack, fake_slack, 101)
    slack.submit_view(view, values("unhappy", "Angry call"), user=U_ALICE)
    (line,) = fake_slack.messages_to(CHANNEL)
    assert FakeSlack.texts(line) == (
        ":rotating_light: <@UALICE> escalated ticket #101 to <@ULEE>. This channel is shared "
        "with another organization, so the details are in the lead's DM."
    )
    (dm,) = fake_slack.messages_to(U_LEE)
    assert "Broken after update 101" in FakeSlack.texts(dm)
    assert len(fake_zendesk.writes) == 1
    fake_slack.clear()
    slack.click(FakeSlack.find_button(dm, "Acknowledge"), user=U_LEE, channel="DULEE")
    (reply,) = fake_slack.messages_to(CHANNEL)
    assert reply.args["text"] == "<@ULEE> acknowledged the escalation of ticket #101."
    assert (escalations(tickets)[0].channel_ts or "") == reply.args["thread_ts"]


def test_a_client_with_its_own_lead_goes_to_them(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 102)
    slack.submit_view(view, values("out-of-scope", "A new feature"), user=U_ALICE)
    assert len(fake_slack.messages_to(U_KIM)) == 1
    assert fake_slack.messages_to(U_LEE) == []


def test_submitting_without_a_reason_shows_the_error_on_that_field(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 101)
    response = slack.submit_view(view, values(None, "note only"), user=U_ALICE)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"reason": "Choose a reason, so the lead knows what kind of help is needed."},
    }
    assert escalations(tickets) == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_with_no_lead_the_modal_says_who_can_set_one(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 101)
    with tickets.session() as session:
        rota = session.exec(select(Rota)).one()
        rota.default_lead = None
        session.add(rota)
    response = slack.submit_view(view, values("other"), user=U_ALICE)
    errors = response.json()["errors"]
    assert errors["reason"].startswith("No delivery lead is set: anyone on the rota can set one")
    fake_slack.clear()
    shown = open_modal(slack, fake_slack, 101)
    assert "submit" not in shown
    assert "`/rota lead @name`" in FakeSlack.texts(shown)


def test_zendesk_failing_still_tells_the_lead_and_the_note_is_retried(
    tickets: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> None:
    view = open_modal(slack, fake_slack, 101)
    fake_zendesk.fail("/api/v2/tickets/101.json", status=503, times=4, method="PUT")
    slack.submit_view(view, values("post-update", "Checkout broken"), user=U_ALICE)
    assert len(fake_slack.messages_to(U_LEE)) == 1
    assert len(fake_slack.messages_to(CHANNEL)) == 1
    (told,) = fake_slack.messages_to(U_ALICE)
    assert (
        ":warning: I couldn't add the internal note to Zendesk (Zendesk is not answering"
        in (told.args["text"])
    )
    assert "I'll retry it at the next check" in told.args["text"]
    (pending,) = escalations(tickets)
    assert pending.zendesk_note_ok is False and pending.zendesk_error
    assert fake_zendesk.writes == []
    # The next client-waiting run adds the note.
    run_job(tickets, client_waiting.JOB, now=TUE + timedelta(hours=1))
    (write,) = fake_zendesk.writes
    assert write.body["ticket"]["comment"]["public"] is False
    assert (
        "Reason: Problem after an update has taken over 2 hours"
        in (write.body["ticket"]["comment"]["body"])
    )
    (done,) = escalations(tickets)
    assert done.zendesk_note_ok is True and done.zendesk_error is None


def test_only_the_lead_may_answer(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 101)
    slack.submit_view(view, values("unhappy"), user=U_ALICE)
    (dm,) = fake_slack.messages_to(U_LEE)
    fake_slack.clear()
    slack.click(FakeSlack.find_button(dm, "Acknowledge"), user=U_SAM)
    (response,) = fake_slack.responses
    assert response.body["text"] == (
        "Sorry, this escalation was sent to <@ULEE>; only they can answer it here."
    )
    assert response.body["response_type"] == "ephemeral"
    assert escalations(tickets)[0].state == "raised"
    assert fake_slack.calls_to("chat.postMessage") == []


def test_an_unknown_ticket_opens_an_explaining_modal(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 999)
    assert "submit" not in view
    assert "I couldn't read ticket #999: Zendesk says ticket 999 does not exist." in (
        FakeSlack.texts(view)
    )


def test_slack_refusing_the_lead_dm_is_told_to_the_raiser(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack, 101)
    fake_slack.fail("chat.postMessage", status=200, error="cannot_dm_bot")
    slack.submit_view(view, values("unhappy"), user=U_ALICE)
    assert fake_slack.messages_to(U_LEE) == []
    assert len(fake_slack.messages_to(CHANNEL)) == 1
    (told,) = fake_slack.messages_to(U_ALICE)
    assert "I couldn't send <@ULEE> a DM: please tell them yourself." in told.args["text"]
    assert escalations(tickets)[0].lead_dm_ts is None


def test_escalations_show_on_the_app_home_and_in_the_weekly_summary(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    from bot.jobs import weekly_summary
    from bot.jobs.runner import run_job

    view = open_modal(slack, fake_slack, 101)
    slack.submit_view(view, values("out-of-scope", "Wants a new feature"), user=U_ALICE)
    slack.event({"type": "app_home_opened", "user": U_ALICE, "tab": "home", "event_ts": "1.0"})
    home = FakeSlack.texts(fake_slack.last("views.publish").args["view"])
    assert "*Escalations*" in home and "#101" in home and "waiting for the lead" in home
    fake_slack.clear()
    next_monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert run_job(tickets, weekly_summary.JOB, now=next_monday).sent == 1
    summary = FakeSlack.texts(fake_slack.messages_to("C1")[0])
    assert "*Escalations*" in summary and "#101" in summary
