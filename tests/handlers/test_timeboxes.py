"""Time-boxes end to end: *I'm on it* on the card, the commitments job's DM after two working
hours (over a night and the Christmas bank holidays), *One more hour*, *Stop*, the App Home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.blocks.timeboxes import on_it_button
from bot.jobs import commitments, weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services, system_clock
from bot.store.timeboxes import Timebox, TimeboxSpan
from bot.timeboxes.hours import worked_hours
from bot.worktime import WorkCalendar
from tests.blocks.helpers import client_figure
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import ALICE, CHANNEL, CLIENT, U_ALICE, U_SAM, mirror, team

# Christmas Eve, a Thursday: Friday 25 Dec and Monday 28 Dec (Boxing Day observed) are bank
# holidays in England, so the next working hour after Thursday 17:30 is Tuesday 29 Dec 09:00.
THU = datetime(2026, 12, 24, 16, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    clock.set(THU - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_zendesk.add_ticket(
        101,
        subject="Checkout broken after plugin update",
        requester_id=CLIENT,
        assignee_id=ALICE,
        organization_id=50,
        tags=["update"],
        created_at=THU - timedelta(days=1),
    )
    fake_zendesk.add_ticket(
        102, subject="Logo", requester_id=CLIENT, assignee_id=ALICE, organization_id=60
    )
    fake_zendesk.add_ticket(
        103, subject="Done already", requester_id=CLIENT, status="solved", organization_id=50
    )
    mirror(zendesk_services)
    clock.set(THU)
    fake_slack.clear()
    return zendesk_services


def on_it(slack: SlackDoor, fake_slack: FakeSlack, ticket_id: int, user: str = U_ALICE) -> str:
    before = len(fake_slack.responses)
    slack.click(on_it_button(ticket_id), user=user)
    (reply,) = fake_slack.responses[before:]
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["replace_original"] is False
    return FakeSlack.texts(reply)


def timebox_dms(fake_slack: FakeSlack) -> list[str]:
    return [
        FakeSlack.texts(call)
        for call in fake_slack.messages_to(U_ALICE)
        if ":stopwatch:" in FakeSlack.texts(call)
    ]


def test_a_time_box_counts_working_hours_only_over_a_night_and_bank_holidays(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    reply = on_it(slack, fake_slack, 101)
    assert reply.startswith(":stopwatch: Time-box started on <")
    assert "I'll DM you when it reaches 2 working hours; only working time counts." in reply

    # One hour on Thursday; nothing on Christmas, the weekend or Boxing Day (observed).
    assert run_job(desk, commitments.JOB, now=at(29, 9, 50)).sent == 0
    assert timebox_dms(fake_slack) == []
    clock.set(at(29, 10, 0))
    assert run_job(desk, commitments.JOB, now=at(29, 10, 0)).sent == 1
    (dm,) = timebox_dms(fake_slack)
    assert dm.startswith("You've spent 2 working hours on ticket #101.\n")
    assert ":stopwatch: You've spent *2 working hours* on <" in dm
    assert "|#101 Checkout broken after plugin update (Acme Ltd)>" in dm
    assert "better to spend half an hour solving each of four tickets" in dm
    assert "It's tagged `update`, and the playbook says" in dm
    assert dm.endswith("Escalate\nOne more hour\nStop")
    # Exactly once.
    assert run_job(desk, commitments.JOB, now=at(29, 10, 10)).sent == 0

    # Escalate from the DM: the reason for update-related problems is chosen already.
    call = fake_slack.messages_to(U_ALICE)[-1]
    slack.click(FakeSlack.find_button(call, "Escalate"), user=U_ALICE, channel="DUALICE")
    modal = fake_slack.last("views.open").args["view"]
    assert modal["blocks"][1]["element"]["initial_option"]["value"] == "post-update"

    # One more hour: the next DM comes an hour later, once.
    slack.click(FakeSlack.find_button(call, "One more hour"), user=U_ALICE, channel="DUALICE")
    (more,) = fake_slack.responses[-1:]
    assert more.body["replace_original"] is True
    assert more.body["text"].startswith(":stopwatch: One more hour on <")
    assert "I'll DM you again at 3 working hours." in more.body["text"]
    assert run_job(desk, commitments.JOB, now=at(29, 10, 50)).sent == 0
    assert run_job(desk, commitments.JOB, now=at(29, 11, 0)).sent == 1
    call = fake_slack.messages_to(U_ALICE)[-1]
    assert "*3 working hours*" in FakeSlack.texts(call)

    # Stop ends it: no more DMs.
    clock.set(at(29, 11, 5))
    slack.click(FakeSlack.find_button(call, "Stop"), user=U_ALICE, channel="DUALICE")
    assert fake_slack.responses[-1].body["text"].startswith(":white_check_mark: Time-box on <")
    assert "stopped at 3 working hours" in fake_slack.responses[-1].body["text"]
    assert run_job(desk, commitments.JOB, now=at(30, 16, 0)).sent == 0


def test_one_time_box_at_a_time_and_solving_the_ticket_ends_it(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    clock.set(at(29, 9, 0))
    on_it(slack, fake_slack, 101)
    clock.set(at(29, 9, 30))
    reply = on_it(slack, fake_slack, 102)
    assert reply.startswith(":stopwatch: Time-box started on <")
    assert "#101 Checkout broken" in reply and "is paused at 30 minutes" in reply
    # The App Home shows the running one.
    slack.event({"type": "app_home_opened", "user": U_ALICE, "tab": "home", "event_ts": "1.0"})
    home = FakeSlack.texts(fake_slack.last("views.publish").args["view"])
    assert (
        ":stopwatch: *Your time-box:* <" in home and "#102 Logo (Globex)>, 0 minutes of 2" in home
    )

    # Back to #101: resumed where it was.
    clock.set(at(29, 10, 0))
    assert "Resumed your time-box on <" in on_it(slack, fake_slack, 101)
    assert "already running" in on_it(slack, fake_slack, 101)

    # #101 is solved in Zendesk: the next run ends its time-box and sends nothing.
    fake_zendesk.update_ticket(101, status="solved")
    clock.set(at(29, 11, 30))
    mirror(desk)
    assert run_job(desk, commitments.JOB, now=at(29, 11, 40)).sent == 0
    with desk.session() as session:
        boxes = {b.ticket_id: (b.state, b.end_reason) for b in session.exec(select(Timebox))}
    assert boxes == {101: ("ended", "solved"), 102: ("paused", None)}


def test_a_solved_ticket_starts_no_time_box_and_others_cannot_stop_yours(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    assert on_it(slack, fake_slack, 103) == (
        "Ticket #103 is solved, so there is nothing to time: no time-box started. "
        "If the client came back, reopen it in Zendesk first."
    )
    on_it(slack, fake_slack, 101)
    with desk.session() as session:
        assert [b.ticket_id for b in session.exec(select(Timebox))] == [101]
    clock.set(at(29, 10, 0))
    run_job(desk, commitments.JOB, now=at(29, 10, 0))
    call = fake_slack.messages_to(U_ALICE)[-1]
    slack.click(FakeSlack.find_button(call, "Stop"), user=U_SAM, channel="DUALICE")
    assert fake_slack.responses[-1].body["text"] == (
        "Sorry, this time-box is <@UALICE>'s; only they can change it."
    )


def test_a_dry_run_shows_the_due_dm_and_the_summary_counts_hours_per_client(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    on_it(slack, fake_slack, 101)
    printed: list[str] = []
    run_job(desk, commitments.JOB, now=at(29, 10, 0), dry_run=True, echo=printed.append)
    assert any("You've spent *2 working hours* on" in line for line in printed)
    assert run_job(desk, commitments.JOB, now=at(29, 10, 0)).sent == 1  # nothing was recorded
    clock.set(at(29, 12, 0))
    on_it(slack, fake_slack, 102)
    fake_slack.clear()
    run_job(desk, weekly_summary.JOB, now=datetime(2027, 1, 4, 9, 30, tzinfo=UTC))
    summary = FakeSlack.texts(fake_slack.messages_to(CHANNEL)[0])
    # The week of 28 Dec (Thursday's hour was the week before): Tuesday 09:00–12:00 on Acme's
    # ticket, then Globex's until Thursday's end (Friday is New Year's Day).
    assert client_figure(summary, "Acme Ltd", "Time-box hours") == "3.0h"
    assert client_figure(summary, "Globex", "Time-box hours") == "22.5h"


@pytest.mark.parametrize(
    ("frozen", "hours"),
    [
        ("2026-12-24 17:29", 0.98),  # Thursday, before the end of the working day
        ("2026-12-28 23:00", 1.0),  # over Christmas, the weekend and Boxing Day (observed)
        ("2026-12-29 09:30", 1.5),
    ],
)
def test_worked_hours_skip_nights_and_bank_holidays(frozen: str, hours: float) -> None:
    span = TimeboxSpan(timebox_id=1, started_at=THU)
    with freeze_time(frozen):
        assert round(worked_hours([span], WorkCalendar(), system_clock()), 2) == hours


def test_stop_on_the_app_home(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(at(29, 9, 0))
    on_it(slack, fake_slack, 102)
    clock.set(at(29, 9, 45))
    slack.event({"type": "app_home_opened", "user": U_ALICE, "tab": "home", "event_ts": "1.0"})
    view = fake_slack.last("views.publish").args["view"]
    slack.click(FakeSlack.find_button(view, "Stop"), user=U_ALICE, view=view)
    home = FakeSlack.texts(fake_slack.last("views.publish").args["view"])
    assert home.startswith(":white_check_mark: Time-box on <")
    assert "stopped at 45 minutes" in home and "*Your time-box:*" not in home
