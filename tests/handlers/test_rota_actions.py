"""`/rota swap` and `/rota away` end to end, with the Accept and Decline buttons."""

from __future__ import annotations

from datetime import date

from bot.services import Services
from bot.settings import Settings
from bot.store import rota as store
from bot.store.audit import audit_events
from bot.store.db import make_engine, session_scope
from tests.doors import MutableClock, SlackDoor, ack_message
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import (
    at_london,
    dms_to,
    pending_swap,
    remember_a_swap_plan,
    rota,
    swap_from_the_remembered_plan,
)

# Wed 2 Dec 2026; with U1, U2, U3 the weeks go 30 Nov U1, 7 Dec U2, 14 Dec U3, 21 Dec U1...


def start(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")


def test_swap_asks_by_dm_with_buttons(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    reply = rota(slack, fake_slack, "swap <@U3>", user="U2")
    assert reply == (
        "I've asked <@U3> to take your week Mon 7 Dec – Fri 11 Dec for theirs, "
        "Mon 14 Dec – Fri 18 Dec. I'll tell you their answer."
    )
    (dm,) = dms_to(fake_slack, "U3")
    assert dm.args["text"] == (
        "<@U2> asks to swap support weeks with you in <#C1>: you would take their week "
        "Mon 7 Dec – Fri 11 Dec, and they would take yours, Mon 14 Dec – Fri 18 Dec."
    )
    FakeSlack.find_button(dm, "Accept")
    FakeSlack.find_button(dm, "Decline")


def test_accept_swaps_updates_the_dm_and_tells_everyone(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    (dm,) = dms_to(fake_slack, "U3")
    slack.click(FakeSlack.find_button(dm, "Accept"), user="U3", channel="DU3")
    update = fake_slack.last("chat.update")
    assert update.args["channel"] == "DU3"
    assert update.args["text"] == (
        ":white_check_mark: Swapped: you're on support Mon 7 Dec – Fri 11 Dec, "
        "and <@U2> takes Mon 14 Dec – Fri 18 Dec."
    )
    assert "Accept" not in FakeSlack.texts(update)
    assert dms_to(fake_slack, "U2")[-1].args["text"] == (
        "<@U3> accepted your swap: they take Mon 7 Dec – Fri 11 Dec, "
        "and you're on support Mon 14 Dec – Fri 18 Dec."
    )
    assert "swapped support weeks" in fake_slack.messages_to("C1")[-1].args["text"]
    assert fake_slack.responses[-1].body["text"] == "Swapped."
    shown = rota(slack, fake_slack, "show 3")
    assert "Mon 7 Dec – Fri 11 Dec  <@U3> · swapped with <@U2>" in shown
    assert "Mon 14 Dec – Fri 18 Dec  <@U2> · swapped with <@U3>" in shown


def test_only_the_asked_person_can_answer_and_only_once(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    (dm,) = dms_to(fake_slack, "U3")
    accept = FakeSlack.find_button(dm, "Accept")
    slack.click(accept, user="U1")
    assert fake_slack.responses[-1].body["text"] == (
        "This request is for <@U3>, so only they can answer it."
    )
    slack.click(FakeSlack.find_button(dm, "Decline"), user="U3")
    assert dms_to(fake_slack, "U2")[-1].args["text"] == (
        "<@U3> declined your swap request: you keep Mon 7 Dec – Fri 11 Dec."
    )
    slack.click(accept, user="U3")
    assert fake_slack.responses[-1].body["text"] == (
        "This swap request was already declined; nothing changed."
    )
    assert "Mon 7 Dec – Fri 11 Dec  <@U2>" in rota(slack, fake_slack, "show 2")


def test_accepting_after_the_week_started_says_so(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "swap <@U3>", user="U2")
    (dm,) = dms_to(fake_slack, "U3")
    at_london(clock, 2026, 12, 7, 9, 0)
    slack.click(FakeSlack.find_button(dm, "Accept"), user="U3")
    assert fake_slack.responses[-1].body["text"] == (
        "Too late to answer this swap request: the week Mon 7 Dec – Fri 11 Dec has already "
        "started. Nothing changed."
    )
    assert "Mon 7 Dec – Fri 11 Dec*  <@U2>" in rota(slack, fake_slack, "show 1")


def test_swap_into_a_week_that_has_started_is_refused(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    start(slack, fake_slack)
    reply = rota(slack, fake_slack, "swap <@U2> today", user="U1")
    assert reply == (
        "The week Mon 30 Nov – Fri 4 Dec has already started: only weeks that haven't "
        "started can be swapped."
    )


def test_swap_with_a_date_and_mistakes(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    assert "your week Mon 21 Dec – Fri 25 Dec for theirs, Mon 7 Dec" in rota(
        slack, fake_slack, "swap <@U2> 22 Dec", user="U1"
    )
    assert rota(slack, fake_slack, "swap <@U2> 15 dec", user="U1").startswith(
        "You're not on support in the week Mon 14 Dec – Fri 18 Dec: <@U3> is."
    )
    assert "<@U7> is not on this rota" in rota(slack, fake_slack, "swap <@U7>", user="U1")
    assert "can't swap with yourself" in rota(slack, fake_slack, "swap <@U1>", user="U1")
    assert "Only people on this rota can swap" in rota(slack, fake_slack, "swap <@U1>", user="U8")


def test_away_gets_cover_and_gives_back_a_week(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    reply = rota(slack, fake_slack, "away 8 Dec 10 Dec", user="U2")
    assert reply == (
        "Noted: You're away Tue 8 Dec – Thu 10 Dec. Cover:\n"
        "• Mon 7 Dec – Fri 11 Dec: <@U3> covers; <@U2> takes their week Mon 14 Dec – Fri 18 Dec"
    )
    assert dms_to(fake_slack, "U3")[-1].args["text"] == (
        "You're covering support for <@U2> in <#C1> in the week Mon 7 Dec – Fri 11 Dec, "
        "while they're away. In return <@U2> takes your week Mon 14 Dec – Fri 18 Dec, "
        "so nobody's share changes."
    )
    assert dms_to(fake_slack, "U2")[-1].args["text"] == (
        "<@U3> covers your support week Mon 7 Dec – Fri 11 Dec in <#C1> while you're away. "
        "You take their week Mon 14 Dec – Fri 18 Dec instead."
    )
    shown = rota(slack, fake_slack, "show 3")
    assert "Mon 7 Dec – Fri 11 Dec  <@U3> · covering for <@U2>" in shown
    assert "Mon 14 Dec – Fri 18 Dec  <@U2> · swapped for cover (<@U3> covered for them)" in shown


def test_two_people_away_in_the_same_week(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 7 Dec 11 Dec", user="U3")
    reply = rota(slack, fake_slack, "away mon fri", user="U2")
    assert "• Mon 7 Dec – Fri 11 Dec: <@U1> covers" in reply
    shown = rota(slack, fake_slack, "show 4")
    assert "Mon 7 Dec – Fri 11 Dec  <@U1> · covering for <@U2>" in shown


def test_a_coverer_who_is_then_away_is_covered_in_turn(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 8 Dec", user="U2")
    reply = rota(slack, fake_slack, "away 8 Dec", user="U3")
    assert "nobody is available" not in reply
    assert "• Mon 7 Dec – Fri 11 Dec: <@U1> covers" in reply
    shown = rota(slack, fake_slack, "show 4")
    assert "Mon 7 Dec – Fri 11 Dec  <@U1> · covering for <@U3>" in shown


def test_nobody_available_is_flagged(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    rota(slack, fake_slack, "away 7 Dec 11 Dec", user="U1")
    reply = rota(slack, fake_slack, "away 7 Dec 11 Dec", user="U2")
    assert ":warning: Mon 7 Dec – Fri 11 Dec: nobody is available to cover." in reply
    shown = rota(slack, fake_slack, "show 2")
    assert "<@U2> is away: nobody available to cover" in shown


def test_away_for_someone_else_is_for_leads(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    assert rota(slack, fake_slack, "away tomorrow <@U2>", user="U1").startswith(
        "Only a delivery lead can record someone else's absence"
    )
    rota(slack, fake_slack, "lead <@U9>", user="U1")
    assert rota(slack, fake_slack, "away 7 Dec <@U2>", user="U9").startswith(
        "Noted: <@U2> is away Mon 7 Dec."
    )


def test_away_with_bad_dates(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    assert "must end on or after its start" in rota(slack, fake_slack, "away 10 Dec 8 Dec")
    assert "in the past" in rota(slack, fake_slack, "away 2026-11-01")
    reply = rota(slack, fake_slack, "away someday")
    assert reply.startswith("I don't understand the date 'someday'")
    assert "*Usage:*" in reply


def test_a_swap_naming_someone_slack_just_described_is_answered_in_the_ack(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    """Slack described U3 for `/rota add` a moment ago: the swap asks Slack nothing and its
    answer is the ack itself; the DM follows. Minutes later Slack is asked again, first."""
    at_london(clock, 2026, 12, 2, 10, 0)
    start(slack, fake_slack)
    asked = len(fake_slack.calls_to("users.info"))
    response = slack.command("/rota", "swap <@U3>", user="U2")
    answer = ack_message(response)
    assert answer is not None and answer["text"].startswith("I've asked <@U3> to take your week")
    assert len(fake_slack.calls_to("users.info")) == asked
    (dm,) = dms_to(fake_slack, "U3")
    FakeSlack.find_button(dm, "Accept")
    # Slack's description is trusted for a few minutes only: after that, the change is acked
    # at once and answered after Slack has been asked.
    clock.advance(minutes=6)
    before = len(fake_slack.responses)
    response = slack.command("/rota", "swap <@U1>", user="U3")
    assert ack_message(response) is None
    assert len(fake_slack.calls_to("users.info")) == asked + 1
    (reply,) = fake_slack.responses[before:]
    assert FakeSlack.texts(reply).startswith("I've asked <@U1> to take your week")


def test_swaps_asked_in_a_row_read_the_plan_once_until_another_process_changes_it(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, settings: Settings
) -> None:
    """A swap request changes no week: the plan a swap read (having written nothing) answers
    the next swap, until a commit in any process writes the rota, its weeks or an absence."""
    remember_a_swap_plan(slack, fake_slack)
    statements = swap_from_the_remembered_plan(slack, fake_slack, services.engine)
    read = [s for s in statements if s.startswith("SELECT") and "change_count" not in s]
    assert read == []
    assert any(s.startswith("INSERT INTO swap_request") for s in statements)
    # Written with no session, it is in the channel's audit trail all the same.
    with session_scope(services.engine) as session:
        latest = audit_events(session=session, scope="C1")[0]
        asked = pending_swap(session, requester="U3", target="U1")
    assert (latest.actor, latest.action) == ("U3", "rota.swap.requested")
    assert latest.detail == {"request": asked.id, "target": "U1"}
    # Another process (its own engine on the same database) gives U2's week to U3.
    other = make_engine(settings.database_url)
    try:
        with session_scope(other) as session:
            found = store.rota_for_channel(session=session, channel_id="C1")
            assert found is not None and found.id is not None
            (week,) = store.weeks(
                session=session, rota_id=found.id, first=date(2026, 12, 7), last=date(2026, 12, 7)
            )
            week.user_id = "U3"
            session.add(week)
    finally:
        other.dispose()
    assert rota(slack, fake_slack, "swap <@U1>", user="U2") == (
        "I've asked <@U1> to take your week Mon 28 Dec – Fri 1 Jan 2027 for theirs, "
        "Mon 21 Dec – Fri 25 Dec. I'll tell you their answer."
    )
