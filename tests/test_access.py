"""Who may see and act on tickets: every ticket surface, through signed requests, refuses guests,
people from other organizations and (with ROTABOT_TICKET_ACCESS=rota) people off the rota, and
writes nothing for them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import ids
from bot.access import MEMBERS_ONLY, ROTA_ONLY
from bot.blocks.escalation import escalate_button
from bot.blocks.promises import (
    DATE_ACTION,
    DATE_BLOCK,
    TIME_ACTION,
    TIME_BLOCK,
    promise_button,
    take_button,
)
from bot.services import Services
from bot.store.escalations import Escalation, add_escalation
from bot.store.priority_reviews import PriorityReview
from bot.store.promises import Promise, add_promise
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import ALICE, CHANNEL, CLIENT, U_ALICE, U_LEE, mirror, team

TUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
SUBJECT = "Secret merger plans"
# Each outsider, and the workspace their requests name.
GUEST, SOLO, EXTERNAL, OFF_ROTA = "UGUEST", "USOLO", "UEXT", "UOFF"
OUTSIDERS = [(GUEST, "T1"), (SOLO, "T1"), (EXTERNAL, "T9"), (EXTERNAL, "T1")]


@pytest.fixture
def world(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    slack: SlackDoor,
    clock: MutableClock,
) -> Iterator[Services]:
    clock.set(TUE - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_slack.add_user(GUEST, name="gus", kind="guest")
    fake_slack.add_user(SOLO, name="sol", kind="single-channel-guest")
    fake_slack.add_user(EXTERNAL, name="eve", kind="external", team_id="T9")
    fake_slack.add_user(OFF_ROTA, name="otto")
    ticket = {"subject": SUBJECT, "requester_id": CLIENT, "assignee_id": ALICE}
    fake_zendesk.add_ticket(101, organization_id=50, created_at=TUE - timedelta(days=1), **ticket)
    mirror(zendesk_services)
    clock.set(TUE)
    fake_slack.clear()
    fake_zendesk.clear()
    yield zendesk_services


def as_rota_only(services: Services) -> None:
    services.settings = replace(services.settings, ticket_access="rota")


def refused_everyone(
    services: Services,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    send: Any,
) -> None:
    """`send(user, team)` from each outsider is refused with the sentence saying who may; then,
    with ROTABOT_TICKET_ACCESS=rota, from a workspace member who is on no rota."""
    for user, workspace in OUTSIDERS:
        fake_slack.clear()
        send(user, workspace)
        assert heard(fake_slack, user) == {MEMBERS_ONLY}, (user, workspace)
    as_rota_only(services)
    fake_slack.clear()
    send(OFF_ROTA, "T1")
    assert heard(fake_slack, OFF_ROTA) == {ROTA_ONLY}
    assert fake_zendesk.writes == []
    for call in fake_slack.calls:
        assert SUBJECT not in FakeSlack.texts(call), call.method
    assert not fake_slack.calls_to("views.open")


def heard(fake_slack: FakeSlack, user: str) -> set[str]:
    """What the person was told: ephemeral answers, or DMs where there is nowhere else."""
    answers = [r.body["text"] for r in fake_slack.responses]
    answers += [str(m.args["text"]) for m in fake_slack.messages_to(user)]
    for response in fake_slack.responses:
        assert response.body.get("response_type") == "ephemeral"
        assert response.body.get("replace_original") is not True
    return set(answers)


def rows(services: Services, table: Any) -> list[Any]:
    with services.session() as session:
        return list(session.exec(select(table)))


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": value}


def a_promise(services: Services) -> int:
    with services.session() as session:
        promise = add_promise(
            session=session,
            ticket_id=101,
            owner=U_ALICE,
            due_at=TUE + timedelta(days=1),
            made_at=TUE,
            note="",
            source="command",
            created_by=U_ALICE,
            created_at=TUE,
        )
        assert promise.id is not None
        return promise.id


def test_members_see_the_card_and_outsiders_are_told_who_may(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    # A member sees the card (twice: the second from the mirror, in the ack).
    for _ in range(2):
        slack.command("/ticket", "101", user=U_ALICE)
        assert SUBJECT in FakeSlack.texts(fake_slack.responses[-1])

    def send(user: str, workspace: str) -> None:
        slack.command("/ticket", "101", user=user, team=workspace)

    refused_everyone(world, fake_slack, fake_zendesk, send)
    # Also for a ticket the mirror lacks, which would be read from Zendesk.
    fake_slack.clear()
    slack.command("/ticket", "555", user=GUEST)
    assert heard(fake_slack, GUEST) == {MEMBERS_ONLY}
    assert fake_zendesk.requests == []


def test_outsiders_cannot_promise(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    def send(user: str, workspace: str) -> None:
        slack.command("/ticket", "promise 101 tomorrow", user=user, team=workspace)
        slack.click(promise_button(101), user=user, team=workspace)

    refused_everyone(world, fake_slack, fake_zendesk, send)
    assert rows(world, Promise) == []


def test_outsiders_cannot_submit_a_promise_modal(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    modal = {
        "type": "modal",
        "callback_id": ids.PROMISE_MODAL,
        "private_metadata": '{"ticket": 101}',
    }
    values = {
        DATE_BLOCK: {DATE_ACTION: {"type": "datepicker", "selected_date": "2026-12-03"}},
        TIME_BLOCK: {TIME_ACTION: {"type": "timepicker", "selected_time": "15:00"}},
    }

    def send(user: str, workspace: str) -> None:
        slack.submit_view(modal, values, user=user, team=workspace)

    refused_everyone(world, fake_slack, fake_zendesk, send)
    assert rows(world, Promise) == []
    world.settings = replace(world.settings, ticket_access="members")
    slack.submit_view(modal, values, user=U_ALICE)
    assert [p.owner for p in rows(world, Promise)] == [U_ALICE]


def test_outsiders_cannot_change_priorities_from_the_card_or_a_digest(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    for right, chosen in (
        (ids.TICKET_PRIORITY_RIGHT, ids.TICKET_PRIORITY_SET),
        (ids.DIGEST_PRIORITY_RIGHT, ids.DIGEST_PRIORITY_SET),
    ):
        world.settings = replace(world.settings, ticket_access="members")
        select_element = {
            "action_id": chosen,
            "options": [{"text": {"type": "plain_text", "text": "High"}, "value": "101:high"}],
        }

        def send(
            user: str, workspace: str, right: str = right, chosen: Any = select_element
        ) -> None:
            slack.click(button(right, "101"), user=user, team=workspace)
            slack.select(chosen, "101:high", user=user, team=workspace)

        refused_everyone(world, fake_slack, fake_zendesk, send)
    assert rows(world, PriorityReview) == []
    assert [r.method for r in fake_zendesk.requests] == []


def test_outsiders_cannot_take_or_settle_a_promise(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    promise_id = a_promise(world)
    for action_id in (
        ids.PROMISE_TAKE,
        ids.PROMISE_DONE,
        ids.PROMISE_NEW_TIME,
        ids.PROMISE_HAND_OVER,
    ):
        world.settings = replace(world.settings, ticket_access="members")

        def send(user: str, workspace: str, action_id: str = action_id) -> None:
            slack.click(button(action_id, str(promise_id)), user=user, team=workspace)

        refused_everyone(world, fake_slack, fake_zendesk, send)
    (promise,) = rows(world, Promise)
    assert (promise.owner, promise.state) == (U_ALICE, "open")
    # A member takes it from the channel line as before.
    fake_slack.clear()
    world.settings = replace(world.settings, ticket_access="members")
    slack.click(take_button(promise_id), user="USAM")
    assert [p.owner for p in rows(world, Promise) if p.state == "open"] == ["USAM"]


def test_outsiders_cannot_escalate(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    modal = {"type": "modal", "callback_id": ids.ESCALATION_MODAL, "private_metadata": "101"}
    values = {
        "reason": {
            "escalation.reason": {"type": "static_select", "selected_option": {"value": "unhappy"}}
        },
        "note": {"escalation.note": {"type": "plain_text_input", "value": None}},
    }

    def open_it(user: str, workspace: str) -> None:
        slack.click(escalate_button(101), user=user, team=workspace)

    refused_everyone(world, fake_slack, fake_zendesk, open_it)
    world.settings = replace(world.settings, ticket_access="members")

    def submit(user: str, workspace: str) -> None:
        slack.submit_view(modal, values, user=user, team=workspace)

    refused_everyone(world, fake_slack, fake_zendesk, submit)
    assert rows(world, Escalation) == []
    assert fake_slack.messages_to(CHANNEL) == fake_slack.messages_to(U_LEE) == []


def test_outsiders_cannot_answer_an_escalation(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    with world.session() as session:
        escalation = add_escalation(
            session=session,
            ticket_id=101,
            raised_by=U_ALICE,
            reason="unhappy",
            note="",
            lead=U_LEE,
            now=TUE,
        )
        escalation_id = str(escalation.id)
    for action_id in (ids.ESCALATION_ACKNOWLEDGE, ids.ESCALATION_CONTACT):
        world.settings = replace(world.settings, ticket_access="members")

        def send(user: str, workspace: str, action_id: str = action_id) -> None:
            slack.click(button(action_id, escalation_id), user=user, team=workspace)

        refused_everyone(world, fake_slack, fake_zendesk, send)
    (unanswered,) = rows(world, Escalation)
    assert unanswered.state == "raised"


def test_rota_members_and_leads_keep_tickets_when_access_is_narrowed(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    as_rota_only(world)
    for user in (U_ALICE, U_LEE):  # a rota member; the rota's delivery lead
        fake_slack.clear()
        slack.command("/ticket", "101", user=user)
        assert SUBJECT in FakeSlack.texts(fake_slack.responses[-1])


def test_a_member_made_a_guest_loses_tickets_within_five_minutes(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    slack.command("/ticket", "101", user=U_ALICE)
    assert SUBJECT in FakeSlack.texts(fake_slack.responses[-1])
    fake_slack.add_user(U_ALICE, name="alice", email="alice@team.test", kind="guest")
    clock.advance(minutes=4, seconds=59)
    slack.command("/ticket", "101", user=U_ALICE)
    assert SUBJECT in FakeSlack.texts(fake_slack.responses[-1])  # what Slack said is trusted
    clock.advance(seconds=1)
    fake_slack.clear()
    slack.command("/ticket", "101", user=U_ALICE)
    assert heard(fake_slack, U_ALICE) == {MEMBERS_ONLY}
    # The app's own workspace is asked once; each person once per five minutes.
    assert len(fake_slack.calls_to("auth.test")) == 0
    assert len(fake_slack.calls_to("users.info")) == 1


def test_an_outsiders_escalation_form_reads_no_ticket(
    world: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    """A form for a ticket the mirror lacks: reading it would fetch it from Zendesk."""
    modal = {"type": "modal", "callback_id": ids.ESCALATION_MODAL, "private_metadata": "202"}
    values = {
        "reason": {
            "escalation.reason": {"type": "static_select", "selected_option": {"value": "unhappy"}}
        },
    }
    for user, workspace in OUTSIDERS:
        response = slack.submit_view(modal, values, user=user, team=workspace)
        assert (response.status_code, response.content) == (200, b"")
    assert fake_zendesk.requests_to("/api/v2/tickets/202") == []
    assert rows(world, Escalation) == []
