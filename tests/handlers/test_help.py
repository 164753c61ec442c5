"""Help that is scheduled, end to end: *Ask for help…* on the card, the modal's checks, the
helper's answers, both App Homes, the handover DMs, the reminder 15 minutes before a Friday
17:15 slot, and the asker told when the helper never answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.blocks.help import ask_help_button
from bot.jobs import commitments, handover
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import ALICE, CLIENT, U_ALICE, U_SAM, away, mirror, team

# Friday 4 December 2026, the last working day of Sam's support week (Alice's is next).
FRI = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    clock.set(FRI)
    team(zendesk_services, fake_slack, fake_zendesk)
    fake_zendesk.add_ticket(
        101,
        subject="Search is slow",
        requester_id=CLIENT,
        assignee_id=ALICE,
        organization_id=50,
        created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )
    clock.set(FRI.replace(minute=5))
    mirror(zendesk_services)
    fake_slack.clear()
    return zendesk_services


def form(
    helper: str | None = U_SAM,
    day: str | None = "2026-12-04",
    time: str | None = "17:15",
    minutes: str | None = "15",
    what: str = "Pair on the slow query",
) -> dict[str, dict[str, Any]]:
    return {
        "helper": {"help.helper": {"type": "users_select", "selected_user": helper}},
        "day": {"help.day": {"type": "datepicker", "selected_date": day}},
        "time": {"help.time": {"type": "timepicker", "selected_time": time}},
        "length": {
            "help.length": {
                "type": "static_select",
                "selected_option": None if minutes is None else {"value": minutes},
            }
        },
        "what": {"help.what": {"type": "plain_text_input", "value": what}},
    }


def open_modal(slack: SlackDoor, fake_slack: FakeSlack) -> dict[str, Any]:
    slack.click(ask_help_button(101), user=U_ALICE)
    view = fake_slack.last("views.open").args["view"]
    assert isinstance(view, dict)
    return view


def last_dm(fake_slack: FakeSlack, user: str) -> SlackCall:
    return fake_slack.messages_to(user)[-1]


def home_of(slack: SlackDoor, fake_slack: FakeSlack, user: str) -> str:
    slack.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"})
    return FakeSlack.texts(fake_slack.last("views.publish").args["view"])


def test_help_booked_for_friday_1715_reaches_homes_handover_and_reminders(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    view = open_modal(slack, fake_slack)
    assert view["private_metadata"] == "101"
    assert "#101 Search is slow (Acme Ltd)" in FakeSlack.texts(view)
    # 17:15 for half an hour runs past 17:30: refused on the time field, nothing recorded.
    refused = slack.submit_view(view, form(minutes="30"), user=U_ALICE)
    assert refused.json() == {
        "response_action": "errors",
        "errors": {
            "time": "17:15 for 30 minutes is outside working hours (09:00–17:30): start "
            "between 09:00 and 17:00, or choose Mon 7 Dec."
        },
    }
    assert fake_slack.messages_to(U_SAM) == []
    # A quarter of an hour fits.
    assert slack.submit_view(view, form(), user=U_ALICE).text == ""
    question = last_dm(fake_slack, U_SAM)
    text = FakeSlack.texts(question)
    assert ":raising_hand: <@UALICE> asks you to help with <" in text
    assert "on *Fri 4 Dec, 17:15 GMT (15 minutes)*.\n> Pair on the slow query" in text
    asked = last_dm(fake_slack, U_ALICE)
    assert asked.args["text"].startswith("I asked <@USAM> to help with <")

    slack.click(FakeSlack.find_button(question, "Accept"), user=U_SAM, channel="DUSAM")
    booked = fake_slack.responses[-1]
    assert booked.body["replace_original"] is True
    assert booked.body["text"].startswith(":handshake: Booked: <@USAM> helps <@UALICE> with <")
    assert last_dm(fake_slack, U_ALICE).args["text"] == booked.body["text"]
    for person in (U_ALICE, U_SAM):
        home = home_of(slack, fake_slack, person)
        assert (
            "*Help booked*\n• Fri 4 Dec, 17:15 GMT (15 minutes): <@USAM> helps <@UALICE> with <"
            in home
        )

    # The handover at 15:00: Sam's week ends, Alice's begins; both DMs show the help.
    clock.set(at(4, 15, 0))
    fake_slack.clear()
    assert run_job(desk, handover.JOB, now=at(4, 15, 0)).sent == 2
    for person in (U_SAM, U_ALICE):
        assert "*Help booked*" in FakeSlack.texts(last_dm(fake_slack, person))

    # The reminder: 15 minutes before, to both, once.
    fake_slack.clear()
    assert run_job(desk, commitments.JOB, now=at(4, 16, 50)).sent == 0
    assert run_job(desk, commitments.JOB, now=at(4, 17, 0)).sent == 2
    for person in (U_SAM, U_ALICE):
        reminder = FakeSlack.texts(last_dm(fake_slack, person))
        assert ":alarm_clock: Soon: <@USAM> helps <@UALICE> with <" in reminder
        assert "at *Fri 4 Dec, 17:15 GMT (15 minutes)*" in reminder
        assert "Can't make it" in reminder
    assert run_job(desk, commitments.JOB, now=at(4, 17, 10)).sent == 0


def test_a_helper_who_never_answers_is_told_to_the_asker_the_next_working_day(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(at(4, 16, 30))
    view = open_modal(slack, fake_slack)
    slack.submit_view(view, form(day="2026-12-08", time="10:00"), user=U_ALICE)
    assert run_job(desk, commitments.JOB, now=at(7, 16, 50)).sent == 0
    assert run_job(desk, commitments.JOB, now=at(7, 17, 0)).sent == 1
    told = last_dm(fake_slack, U_ALICE)
    assert FakeSlack.texts(told).startswith(
        "No answer yet about help with ticket #101.\n:hourglass: <@USAM> hasn't answered"
    )
    FakeSlack.find_button(told, "Ask for help…")
    assert run_job(desk, commitments.JOB, now=at(7, 17, 10)).sent == 0


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"helper": None, "time": None},
            {"helper": "Choose who you'd like help from.", "time": "Choose a time."},
        ),
        ({"helper": U_ALICE}, {"helper": "Choose someone other than yourself."}),
        (
            {"day": "2026-12-05"},
            {
                "day": "Sat 5 Dec is not a working day: help is booked in working time. The "
                "next working day is Mon 7 Dec."
            },
        ),
        (
            {"day": "2026-12-25", "time": "10:00"},
            {
                "day": "Fri 25 Dec is Christmas Day: help is booked in working time. The next "
                "working day is Tue 29 Dec."
            },
        ),
        (
            {"day": "2026-12-07", "time": "08:30"},
            {
                "time": "08:30 for 15 minutes is outside working hours (09:00–17:30): start "
                "between 09:00 and 17:15, or choose Tue 8 Dec."
            },
        ),
        ({"time": "11:00"}, {"time": "That time has passed: choose a time to come."}),
        (
            {"day": "2026-12-08", "time": "10:00"},
            {"helper": "<@USAM> is away on Tue 8 Dec: choose another day or someone else."},
        ),
    ],
)
def test_bad_requests_are_refused_on_their_field(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    changes: dict[str, str | None],
    errors: dict[str, str],
) -> None:
    away(desk, U_SAM, date(2026, 12, 8), date(2026, 12, 8))
    view = open_modal(slack, fake_slack)
    response = slack.submit_view(view, form(**changes), user=U_ALICE)  # type: ignore[arg-type]
    assert response.json() == {"response_action": "errors", "errors": errors}
    assert fake_slack.messages_to(U_SAM) == []


def test_another_time_is_suggested_and_accepted_and_only_the_one_asked_answers(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    view = open_modal(slack, fake_slack)
    slack.submit_view(view, form(day="2026-12-07", time="10:00", minutes="60"), user=U_ALICE)
    question = last_dm(fake_slack, U_SAM)
    slack.click(FakeSlack.find_button(question, "Accept"), user=U_ALICE, channel="DUSAM")
    assert fake_slack.responses[-1].body["text"] == (
        "Sorry, this question is for <@USAM> to answer."
    )
    slack.click(FakeSlack.find_button(question, "Suggest another time"), user=U_SAM)
    suggest = fake_slack.last("views.open").args["view"]
    assert suggest["callback_id"] == "help.suggest_modal"
    values = form(day="2026-12-07", time="11:00")
    assert slack.submit_view(suggest, values, user=U_SAM).text == ""
    (updated,) = fake_slack.calls_to("chat.update")
    assert updated.args["text"] == (
        "You suggested *Mon 7 Dec, 11:00 GMT (1 hour)* instead; waiting for <@UALICE> to answer."
    )
    counter = last_dm(fake_slack, U_ALICE)
    assert ":raising_hand: <@USAM> suggests *Mon 7 Dec, 11:00 GMT (1 hour)* instead" in (
        FakeSlack.texts(counter)
    )
    slack.click(FakeSlack.find_button(counter, "Accept"), user=U_ALICE, channel="DUALICE")
    assert fake_slack.responses[-1].body["text"].startswith(":handshake: Booked: <@USAM>")
    # The old question is settled; Sam can still cancel from a reminder ("Can't make it").
    slack.click(FakeSlack.find_button(question, "Accept"), user=U_SAM, channel="DUSAM")
    assert fake_slack.responses[-1].body["text"] == (
        "That request has been answered already: nothing changed."
    )
    slack.click(FakeSlack.find_button(question, "Decline"), user=U_SAM, channel="DUSAM")
    assert fake_slack.responses[-1].body["text"].startswith("<@USAM> can't make the help with <")
    assert "*Help booked*" not in home_of(slack, fake_slack, U_ALICE)


def test_friday_1715_edges_with_a_frozen_clock() -> None:
    from datetime import time

    from freezegun import freeze_time

    from bot.helping.booking import SlotProblem, check_slot
    from bot.helping.due import answer_due_by
    from bot.services import system_clock
    from bot.worktime import WorkCalendar

    calendar = WorkCalendar()
    friday = date(2026, 12, 4)
    with freeze_time("2026-12-04 17:10"):
        now = system_clock()
        assert check_slot(calendar, friday, time(17, 15), 15, now=now) == at(4, 17, 15)
        with pytest.raises(SlotProblem, match="start between 09:00 and 17:00"):
            check_slot(calendar, friday, time(17, 15), 30, now=now)
        # Asked on a Friday: no answer is expected before the end of Monday.
        assert answer_due_by(now, calendar) == at(7, 17, 0)
    with freeze_time("2026-12-24 16:00"):  # Christmas Eve: then Christmas, Boxing Day
        assert answer_due_by(system_clock(), calendar) == at(29, 17, 0)
