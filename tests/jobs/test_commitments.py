"""Promised updates end to end: recorded, reminded at each stage once, kept, moved, handed on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.jobs import commitments, sync
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store import promises as store
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

# Tuesday 1 December 2026, 10:00 GMT.
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(
    zendesk_services: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> Services:
    """alice, bob and carol on #support's rota (alice this week); ticket #1 held by alice."""
    for user, name in [("UA", "alice"), ("UB", "bob"), ("UC", "carol")]:
        fake_slack.add_user(user, name=name, email=f"{name}@acme.test")
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    slack.command("/rota", "add <@UA> <@UB> <@UC>", user="UA", channel="CSUP")
    fake_zendesk.add_user(101, name="Alice", email="alice@acme.test", role="agent")
    fake_zendesk.add_user(900, name="Client", email="client@council.test", role="end-user")
    created = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    fake_zendesk.add_ticket(
        1, subject="Site is slow", requester_id=900, assignee_id=101, created_at=created
    )
    fake_zendesk.add_comment(1, author_id=900, body="It's slow", created_at=created)
    clock.set(TUESDAY_10)
    assert run_job(zendesk_services, sync.JOB, now=TUESDAY_10).problems == []
    fake_slack.clear()
    return zendesk_services


def promise(slack: SlackDoor, fake_slack: FakeSlack, text: str, user: str = "UA") -> str:
    slack.command("/ticket", f"promise {text}", user=user, channel="CSUP")
    reply = fake_slack.responses[-1].body
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


def dms(fake_slack: FakeSlack, user: str) -> list[Any]:
    return fake_slack.messages_to(user)


def test_a_promise_by_command_is_reminded_at_each_stage_once(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    reply = promise(slack, fake_slack, "1 today 5pm check the logs")
    assert reply == (
        ":handshake: Noted: you promised an update on #1 by *Tue 1 Dec, 17:00 GMT* "
        "(check the logs). I'll remind you before it is due."
    )
    stages = [
        (at(1, 14, 59), None),
        (at(1, 15, 0), "is due *Tue 1 Dec, 17:00 GMT*"),
        (at(1, 16, 0), None),
        (at(1, 17, 0), "is due now"),
        (at(1, 17, 20), None),
        (at(2, 9, 0), "was due *Tue 1 Dec, 17:00 GMT* and is still open"),
    ]
    for when, expected in stages:
        fake_slack.clear()
        run_job(desk, commitments.JOB, now=when)
        sent = dms(fake_slack, "UA")
        if expected is None:
            assert sent == [], when
        else:
            [message] = sent
            assert expected in FakeSlack.texts(message), when
            assert FakeSlack.find_button(message, "Done — client updated")
            assert FakeSlack.find_button(message, "New time…")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 10, 0))
    [line] = fake_slack.messages_to("CSUP")
    assert "<@UA>'s promised update on" in FakeSlack.texts(line)
    assert FakeSlack.find_button(line, "I'll take it")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 11, 0))
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_missed_run_sends_only_the_latest_stage(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    run_job(desk, commitments.JOB, now=at(2, 9, 30))
    [message] = dms(fake_slack, "UA")
    assert "is still open" in FakeSlack.texts(message)


def test_a_later_public_reply_keeps_the_promise(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    promise(slack, fake_slack, "1 tomorrow")
    fake_zendesk.add_comment(
        1, author_id=101, body="Fixed it, all good now.", created_at=at(1, 11, 0)
    )
    fake_zendesk.update_ticket(1, updated_at=at(1, 11, 0))
    clock.set(at(1, 11, 5))
    run_job(desk, sync.JOB, now=at(1, 11, 5))
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 17, 0))
    assert fake_slack.calls_to("chat.postMessage") == []
    with desk.session() as session:
        [kept] = session.exec(select(store.Promise)).all()
    assert kept.state == store.KEPT and kept.state_by == "zendesk"


def test_nothing_on_a_bank_holiday_and_friday_evening_promises_land_monday(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    # Friday 28 August 2026, 16:00 BST; Monday 31 August is the Summer bank holiday.
    clock.set(at(28, 15, 0, month=8))
    reply = promise(slack, fake_slack, "1 tomorrow")
    assert "*Tue 1 Sep, 17:00 BST*" in reply
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(31, 14, 0, month=8))  # bank holiday, 15:00 BST
    assert fake_slack.calls_to("chat.postMessage") == []
    run_job(desk, commitments.JOB, now=at(30, 14, 0, month=8))  # Sunday
    assert fake_slack.calls_to("chat.postMessage") == []
    run_job(desk, commitments.JOB, now=datetime(2026, 9, 1, 14, 0, tzinfo=UTC))
    [message] = dms(fake_slack, "UA")
    assert "is due *Tue 1 Sep, 17:00 BST*" in FakeSlack.texts(message)


def test_an_away_owner_gets_nothing_and_the_person_on_support_gets_the_promise(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 thu", user="UB")
    slack.command("/rota", "away thu", user="UB", channel="CSUP")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(3, 15, 0))
    assert dms(fake_slack, "UB") == []
    [message] = dms(fake_slack, "UA")
    assert "is due *Thu 3 Dec, 17:00 GMT*" in FakeSlack.texts(message)


def reminder(desk: Services, fake_slack: FakeSlack, when: datetime) -> Any:
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=when)
    [message] = dms(fake_slack, "UA")
    return message


def test_done_button_keeps_it_and_updates_the_message(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    message = reminder(desk, fake_slack, at(1, 15, 0))
    clock.set(at(1, 15, 30))
    slack.click(FakeSlack.find_button(message, "Done — client updated"), user="UA")
    update = fake_slack.responses[-1].body
    assert update["replace_original"] is True
    assert "kept — marked done by <@UA>, Tue 1 Dec, 15:30 GMT" in update["text"]
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 17, 0))
    assert fake_slack.calls_to("chat.postMessage") == []


def test_someone_else_clicking_done_is_refused_politely(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    message = reminder(desk, fake_slack, at(1, 15, 0))
    slack.click(FakeSlack.find_button(message, "Done — client updated"), user="UC")
    refusal = fake_slack.responses[-1].body
    assert refusal["text"] == "This promise belongs to <@UA>, so only they can do that."
    assert refusal["replace_original"] is False


def test_new_time_opens_a_modal_and_moves_the_promise(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    message = reminder(desk, fake_slack, at(1, 17, 0))
    slack.click(FakeSlack.find_button(message, "New time…"), user="UA", message={"ts": "9.9"})
    view = fake_slack.last("views.open").args["view"]
    assert "tell the client the new time in Zendesk" in FakeSlack.texts(view)
    date_input = view["blocks"][1]["element"]
    assert date_input["initial_date"] == "2026-12-02"
    assert view["blocks"][2]["element"]["initial_time"] == "17:00"
    past = {
        "promise_date": {"date": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "promise_time": {"time": {"type": "timepicker", "selected_time": "09:00"}},
    }
    refused = slack.submit_view(view, past, user="UA")
    assert refused.json()["response_action"] == "errors"
    values = {
        "promise_date": {"date": {"type": "datepicker", "selected_date": "2026-12-03"}},
        "promise_time": {"time": {"type": "timepicker", "selected_time": "11:00"}},
    }
    assert slack.submit_view(view, values, user="UA").status_code == 200
    updated = fake_slack.last("chat.update")
    assert updated.args["ts"] == "9.9"
    assert "now due *Thu 3 Dec, 11:00 GMT*" in updated.args["text"]
    assert "tell the client the new time" in updated.args["text"]
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(3, 9, 0))
    [moved] = dms(fake_slack, "UA")
    assert "is due *Thu 3 Dec, 11:00 GMT*" in FakeSlack.texts(moved)


def test_hand_to_the_person_on_support_and_take_from_the_channel(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 today 5pm", user="UB")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 15, 0))
    [message] = dms(fake_slack, "UB")
    hand = FakeSlack.find_button(message, "Hand to alice")
    assert hand["value"].isdigit()  # the promise's key only: the handler finds who is on support
    slack.click(hand, user="UB")
    assert "<@UA> now holds the promised update on #1" in fake_slack.responses[-1].body["text"]
    assert (
        "<@UB> handed you a promised update on #1"
        in fake_slack.last("chat.postMessage").args["text"]
    )
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 10, 0))
    line = fake_slack.messages_to("CSUP")[0]
    slack.click(FakeSlack.find_button(line, "I'll take it"), user="UC", channel="CSUP")
    assert "<@UC> now holds" in fake_slack.responses[-1].body["text"]


def test_a_shared_rota_channel_gets_the_overdue_line_without_the_ticket(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("CSUP", name="support-with-client", ext_shared=True)
    promise(slack, fake_slack, "1 today 5pm check the logs", user="UB")
    run_job(desk, commitments.JOB, now=at(2, 10, 0))
    (line,) = fake_slack.messages_to("CSUP")
    text = FakeSlack.texts(line)
    assert "<@UB>'s promised update on <" in text and "|#1> was due" in text
    assert "Site is slow" not in text and "check the logs" not in text
    FakeSlack.find_button(line, "I'll take it")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", "Which ticket?"),
        ("abc tomorrow", "Which ticket? `abc` is not a ticket number."),
        ("1", "Say when the update is due"),
        ("1 someday", "I couldn't find a time at the start of “someday”"),
        ("1 1 Dec 09:00", "has already passed"),
        ("999 tomorrow", "I can't find ticket #999 in Zendesk"),
    ],
)
def test_bad_promise_commands_explain_with_an_example(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, args: str, expected: str
) -> None:
    reply = promise(slack, fake_slack, args)
    assert expected in reply


def sync_at(desk: Services, clock: MutableClock, when: datetime) -> None:
    clock.set(when)
    assert run_job(desk, sync.JOB, now=when).problems == []


def test_a_promise_in_our_public_reply_is_noted_and_can_be_dismissed(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    fake_zendesk.add_comment(
        1, author_id=101, body="Thanks. I'll update you tomorrow.", created_at=at(1, 10, 30)
    )
    fake_zendesk.update_ticket(1, updated_at=at(1, 10, 30))
    sync_at(desk, clock, at(1, 10, 35))
    sync_at(desk, clock, at(1, 10, 40))  # read again: still one promise
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 10, 40))
    [noted] = dms(fake_slack, "UA")
    assert "I noted your promise to update" in FakeSlack.texts(noted)
    assert "by *Wed 2 Dec, 17:00 GMT*" in FakeSlack.texts(noted)
    assert FakeSlack.find_button(noted, "Change time")
    slack.click(FakeSlack.find_button(noted, "Not a promise"), user="UA")
    assert "was not a promise" in fake_slack.responses[-1].body["text"]
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 17, 0))
    assert fake_slack.calls_to("chat.postMessage") == []


def test_client_comments_and_internal_notes_never_make_promises(
    desk: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    fake_zendesk.add_comment(
        1, author_id=900, body="I'll update you tomorrow with the logs.", created_at=at(1, 10, 30)
    )
    fake_zendesk.add_comment(
        1,
        author_id=101,
        body="Note to self: I'll update them tomorrow.",
        public=False,
        created_at=at(1, 10, 31),
    )
    fake_zendesk.update_ticket(1, updated_at=at(1, 10, 31))
    sync_at(desk, clock, at(1, 10, 35))
    with desk.session() as session:
        assert session.exec(select(store.Promise)).all() == []


def test_app_home_lists_open_promises_and_done_works_there(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 fri 3pm")
    promise(slack, fake_slack, "1 tomorrow call back")
    fake_slack.clear()
    slack.event({"type": "app_home_opened", "user": "UA", "tab": "home", "event_ts": "1.0"})
    home = fake_slack.last("views.publish").args["view"]
    text = FakeSlack.texts(home)
    assert "*Your open promises to clients*, soonest first" in text
    assert text.index("Wed 2 Dec, 17:00 GMT") < text.index("Fri 4 Dec, 15:00 GMT")
    done = FakeSlack.find_button(home, "Done — client updated")
    slack.click(done, user="UA", view=home)
    refreshed = FakeSlack.texts(fake_slack.last("views.publish").args["view"])
    assert "kept — marked done by <@UA>" in refreshed
    assert "Wed 2 Dec, 17:00 GMT" not in refreshed


def test_promise_an_update_from_the_ticket_card_by_modal(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    slack.command("/ticket", "1", user="UA", channel="CSUP")
    card = fake_slack.responses[-1].body
    slack.click(FakeSlack.find_button(card, "Promise an update"), user="UA")
    view = fake_slack.last("views.open").args["view"]
    assert view["blocks"][1]["element"]["initial_date"] == "2026-12-02"
    assert view["blocks"][2]["element"]["initial_time"] == "17:00"
    values = {
        "promise_date": {"date": {"type": "datepicker", "selected_date": "2026-12-02"}},
        "promise_time": {"time": {"type": "timepicker", "selected_time": "12:00"}},
        "promise_note": {"note": {"type": "plain_text_input", "value": "send the fix plan"}},
    }
    assert slack.submit_view(view, values, user="UA").status_code == 200
    confirmation = fake_slack.last("chat.postMessage")
    assert confirmation.args["channel"] == "UA"
    assert "by *Wed 2 Dec, 12:00 GMT* (send the fix plan)" in confirmation.args["text"]
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 10, 0))
    [reminder] = dms(fake_slack, "UA")
    assert "is due *Wed 2 Dec, 12:00 GMT*" in FakeSlack.texts(reminder)
    assert "send the fix plan" in FakeSlack.texts(reminder)


def test_solving_the_ticket_keeps_the_promise(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    promise(slack, fake_slack, "1 tomorrow")
    fake_zendesk.update_ticket(1, status="solved", updated_at=at(1, 12, 0))
    sync_at(desk, clock, at(1, 12, 5))
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 17, 0))
    assert fake_slack.calls_to("chat.postMessage") == []
    with desk.session() as session:
        [kept] = session.exec(select(store.Promise)).all()
    assert kept.state == store.KEPT


@pytest.mark.parametrize(
    ("frozen", "typed", "due"),
    [
        # Friday evening: "tomorrow" is Monday, the end of its working day.
        ("2026-12-04 18:30", "tomorrow", datetime(2026, 12, 7, 17, 0, tzinfo=UTC)),
        # Friday before the Summer bank holiday: "tomorrow" is Tuesday 1 September.
        ("2026-08-28 17:00", "tomorrow", datetime(2026, 9, 1, 16, 0, tzinfo=UTC)),
        ("2026-08-28 17:00", "mon 10am", datetime(2026, 8, 31, 9, 0, tzinfo=UTC)),
    ],
)
def test_friday_evening_and_bank_holiday_due_times(frozen: str, typed: str, due: datetime) -> None:
    from bot.promises.text import parse_when
    from bot.services import system_clock
    from bot.worktime import WorkCalendar

    with freeze_time(frozen):
        assert parse_when(typed, now=system_clock(), calendar=WorkCalendar()) == due


def test_a_promise_on_a_bank_holiday_is_recorded_with_a_warning(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(at(28, 15, 0, month=8))
    reply = promise(slack, fake_slack, "1 mon 10am")
    assert "*Mon 31 Aug, 10:00 BST*" in reply
    assert reply.endswith("Heads up: Mon 31 Aug is Late Summer Bank Holiday.")


def test_taking_a_promise_from_the_channel_does_not_start_its_reminders_again(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 today 5pm", user="UB")
    run_job(desk, commitments.JOB, now=at(2, 10, 0))
    line = fake_slack.messages_to("CSUP")[-1]
    clock.set(at(2, 10, 5))
    slack.click(FakeSlack.find_button(line, "I'll take it"), user="UC", channel="CSUP")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 10, 10))
    run_job(desk, commitments.JOB, now=at(2, 16, 0))
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_rescheduled_detected_promise_is_not_noted_twice(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> None:
    fake_zendesk.add_comment(
        1, author_id=101, body="I'll update you by Friday.", created_at=at(1, 10, 30)
    )
    fake_zendesk.update_ticket(1, updated_at=at(1, 10, 30))
    sync_at(desk, clock, at(1, 10, 35))
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 10, 40))
    [noted] = dms(fake_slack, "UA")
    slack.click(FakeSlack.find_button(noted, "Change time"), user="UA")
    view = fake_slack.last("views.open").args["view"]
    values = {
        "promise_date": {"date": {"type": "datepicker", "selected_date": "2026-12-07"}},
        "promise_time": {"time": {"type": "timepicker", "selected_time": "12:00"}},
    }
    slack.submit_view(view, values, user="UA")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 11, 0))
    assert fake_slack.calls_to("chat.postMessage") == []


def test_the_ticket_card_lists_its_open_promises(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 fri 3pm send the report", user="UB")
    slack.command("/ticket", "1", user="UA", channel="CSUP")
    card = FakeSlack.texts(fake_slack.responses[-1].body)
    assert "*Open promises to the client*" in card
    assert "• #1: update due *Fri 4 Dec, 15:00 GMT* — send the report (<@UB>)" in card


def test_a_backlog_of_reminders_comes_a_few_at_a_time_soonest_first(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commitments, "PER_OWNER", 3)
    monkeypatch.setattr(commitments, "PAGE", 2)  # so the search for unsent ones pages
    for hour in (15, 13, 16, 14, 12):
        promise(slack, fake_slack, f"1 today {hour}:00 step {hour}")
    fake_slack.clear()

    def reminded() -> list[str]:
        found = []
        for message in dms(fake_slack, "UA"):
            found += [
                f"step {hour}"
                for hour in range(12, 17)
                if f"step {hour}" in FakeSlack.texts(message)
            ]
        fake_slack.clear()
        return found

    # Wednesday morning: all five are overdue; three reminders now, the soonest due first.
    run_job(desk, commitments.JOB, now=at(2, 9, 0))
    assert reminded() == ["step 12", "step 13", "step 14"]
    # The next run sends the other two, and then nothing is left.
    run_job(desk, commitments.JOB, now=at(2, 9, 10))
    assert reminded() == ["step 15", "step 16"]
    run_job(desk, commitments.JOB, now=at(2, 9, 20))
    assert reminded() == []
