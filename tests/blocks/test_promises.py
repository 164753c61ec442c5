"""Promise reminders, the time modal and the App Home lines, as exact text on fixed instants."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from bot import ids
from bot.blocks.promises import (
    BEFORE,
    CHANNEL,
    DUE,
    NOTED,
    OVERDUE,
    Reminder,
    done_blocks,
    home_promise_blocks,
    promise_button,
    promise_line,
    read_time_modal,
    reminder_blocks,
    reminder_text,
    take_button,
    ticket_ref,
    time_modal,
)
from bot.blocks.text import blocks_as_text
from bot.worktime import WorkCalendar
from tests.blocks.helpers import NOW, buttons, promise

CALENDAR = WorkCalendar()
TODAY = date(2026, 12, 2)
URL = "https://acme.zendesk.test/agent/tickets/101"


def reminder(stage: str, **changes: object) -> Reminder:
    base = Reminder(
        promise=promise(),
        stage=stage,
        recipient="UANN",
        subject="Export <fails> & times out",
        ticket_url=URL,
        on_support="UBEN",
        on_support_name="Ben",
        now=NOW,
        calendar=CALENDAR,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


REF = f"<{URL}|#101> Export &lt;fails&gt; &amp; times out"
NOTE = "\n> Send the &lt;new&gt; export &amp; logs"
DONE = ("Done — client updated", ids.PROMISE_DONE, "7")
NEW_TIME = ("New time…", ids.PROMISE_NEW_TIME, "7")
ESCALATE = ("Escalate", ids.ESCALATE, "101")
HAND_TO_BEN = ("Hand to Ben", ids.PROMISE_HAND_OVER, "7")
PRESS_DONE = "Press *Done* once the client has the update; a public reply in Zendesk counts too."


def test_the_reminder_before_it_is_due() -> None:
    blocks = reminder_blocks(reminder(BEFORE))
    assert blocks_as_text(blocks) == (
        f":alarm_clock: Your promised update on {REF} is due *Thu 3 Dec, 17:00 GMT*.{NOTE}\n"
        "[Done — client updated]  [New time…]  [Escalate]  [Hand to Ben]\n"
        f"{PRESS_DONE}"
    )
    assert buttons(blocks) == [DONE, NEW_TIME, ESCALATE, HAND_TO_BEN]
    assert blocks[1]["elements"][0]["style"] == "primary"
    assert reminder_text(reminder(BEFORE)) == (
        "Your promised update on #101 is due Thu 3 Dec, 17:00 GMT."
    )


def test_the_reminder_when_it_is_due() -> None:
    blocks = reminder_blocks(reminder(DUE))
    assert blocks[0]["text"]["text"] == (
        f":alarm_clock: Your promised update on {REF} is due now (*Thu 3 Dec, 17:00 GMT*).{NOTE}"
    )
    assert buttons(blocks) == [DONE, NEW_TIME, ESCALATE, HAND_TO_BEN]
    assert reminder_text(reminder(DUE)) == "Your promised update on #101 is due now."


def test_the_overdue_reminder_asks_to_tell_the_client() -> None:
    blocks = reminder_blocks(reminder(OVERDUE))
    assert blocks[0]["text"]["text"] == (
        f":warning: Your promised update on {REF} was due *Thu 3 Dec, 17:00 GMT* and is still "
        "open. If you can't do it yet, tell the client when you will: failing silently is "
        f"doubly bad.{NOTE}"
    )
    assert blocks[2]["elements"][0]["text"] == PRESS_DONE
    assert reminder_text(reminder(OVERDUE)) == "Your promised update on #101 is overdue."


def test_no_hand_over_when_the_owner_is_on_support() -> None:
    blocks = reminder_blocks(reminder(BEFORE, on_support="UANN", on_support_name="Ann"))
    assert buttons(blocks) == [DONE, NEW_TIME, ESCALATE]


def test_no_hand_over_when_nobody_is_on_support() -> None:
    blocks = reminder_blocks(reminder(OVERDUE, on_support=None, on_support_name=None))
    assert buttons(blocks) == [DONE, NEW_TIME, ESCALATE]


def test_hand_over_to_someone_whose_name_is_unknown() -> None:
    blocks = reminder_blocks(reminder(DUE, on_support_name=None))
    assert buttons(blocks)[-1] == (
        "Hand to the person on support",
        ids.PROMISE_HAND_OVER,
        "7",
    )


def test_the_noted_confirmation_offers_to_undo_or_move_it() -> None:
    blocks = reminder_blocks(reminder(NOTED))
    assert blocks_as_text(blocks) == (
        f":memo: I noted your promise to update {REF} by *Thu 3 Dec, 17:00 GMT*.{NOTE}\n"
        "I'll remind you before it is due.\n"
        "[Not a promise]  [Change time]"
    )
    assert buttons(blocks) == [
        ("Not a promise", ids.PROMISE_NOT_A_PROMISE, "7"),
        ("Change time", ids.PROMISE_NEW_TIME, "7"),
    ]
    assert reminder_text(reminder(NOTED)) == (
        "I noted your promise to update #101 by Thu 3 Dec, 17:00 GMT."
    )


def test_the_channel_is_told_of_a_broken_promise() -> None:
    blocks = reminder_blocks(reminder(CHANNEL, recipient="CROTA"))
    assert blocks_as_text(blocks) == (
        f":warning: <@UANN>'s promised update on {REF} was due *Thu 3 Dec, 17:00 GMT* "
        f"and the client has not heard from us yet.{NOTE}\n"
        "[I'll take it]"
    )
    assert buttons(blocks) == [("I'll take it", ids.PROMISE_TAKE, "7")]
    assert reminder_text(reminder(CHANNEL)) == "<@UANN>'s promised update on #101 is overdue."


def test_without_zendesk_or_note_or_subject_the_ticket_is_its_number() -> None:
    bare = reminder(BEFORE, ticket_url=None, subject="", promise=promise(note=""))
    assert ticket_ref(bare) == "#101"
    assert reminder_blocks(bare)[0]["text"]["text"] == (
        ":alarm_clock: Your promised update on #101 is due *Thu 3 Dec, 17:00 GMT*."
    )


def test_a_due_time_next_year_names_the_year_and_summer_time_reads_bst() -> None:
    new_year = promise(due_at=datetime(2027, 1, 4, 17, 0, tzinfo=UTC))
    assert reminder_text(reminder(BEFORE, promise=new_year)) == (
        "Your promised update on #101 is due Mon 4 Jan 2027, 17:00 GMT."
    )
    summer = promise(due_at=datetime(2027, 6, 4, 16, 0, tzinfo=UTC))
    late_may = datetime(2027, 5, 28, 9, 0, tzinfo=UTC)
    assert reminder_text(reminder(BEFORE, promise=summer, now=late_may)) == (
        "Your promised update on #101 is due Fri 4 Jun, 17:00 BST."
    )


def test_the_year_follows_the_teams_date_not_utc() -> None:
    # 31 Dec 2026 23:30 UTC is already 1 Jan 2027 in Auckland: a due date in 2027 has no year.
    auckland = WorkCalendar(timezone="Pacific/Auckland", holidays="NZ")
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    due = promise(due_at=datetime(2027, 1, 5, 4, 0, tzinfo=UTC))
    assert reminder_text(reminder(BEFORE, promise=due, now=now, calendar=auckland)) == (
        "Your promised update on #101 is due Tue 5 Jan, 17:00 NZDT."
    )


def modal(initial: datetime, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "callback_id": ids.PROMISE_MODAL,
        "title": "Promise an update on ticket #101",
        "submit": "Promise",
        "calendar": CALENDAR,
        "metadata": {"ticket_id": 101},
        "intro": "When will #101 hear from us?",
    }
    return time_modal(initial=initial, **(arguments | changes))


def test_the_time_modal_starts_at_the_local_time() -> None:
    view = modal(datetime(2027, 6, 4, 16, 0, tzinfo=UTC), note="Call back")
    assert view["callback_id"] == "promise.modal"
    # Slack allows 24 characters in a modal's title.
    assert view["title"]["text"] == "Promise an update on tic"
    assert view["submit"]["text"] == "Promise"
    assert view["close"]["text"] == "Cancel"
    assert json.loads(view["private_metadata"]) == {"ticket_id": 101}
    intro, day, at, note = view["blocks"]
    assert intro["text"]["text"] == "When will #101 hear from us?"
    assert (day["block_id"], day["element"]["action_id"]) == ("promise_date", "date")
    assert day["element"]["initial_date"] == "2027-06-04"
    assert at["label"]["text"] == "Time (Europe/London)"
    assert (at["block_id"], at["element"]["action_id"]) == ("promise_time", "time")
    assert at["element"]["initial_time"] == "17:00"
    assert (note["block_id"], note["optional"]) == ("promise_note", True)
    assert note["element"]["initial_value"] == "Call back"


def test_the_time_modal_late_at_night_starts_on_the_local_day() -> None:
    # 23:30 UTC on a summer Friday is 00:30 on Saturday in London.
    view = modal(
        datetime(2027, 6, 4, 23, 30, tzinfo=UTC),
        callback_id=ids.PROMISE_RESCHEDULE_MODAL,
        with_note=False,
    )
    assert view["callback_id"] == "promise.reschedule_modal"
    assert [b.get("block_id") for b in view["blocks"]] == [None, "promise_date", "promise_time"]
    assert view["blocks"][1]["element"]["initial_date"] == "2027-06-05"
    assert view["blocks"][2]["element"]["initial_time"] == "00:30"


def test_an_empty_note_has_no_initial_value() -> None:
    assert "initial_value" not in modal(NOW)["blocks"][3]["element"]


def test_reading_the_time_modal() -> None:
    values = {
        "promise_date": {"date": {"selected_date": "2026-12-04"}},
        "promise_time": {"time": {"selected_time": "15:30"}},
        "promise_note": {"note": {"value": "  the logs  "}},
    }
    assert read_time_modal(values) == (date(2026, 12, 4), time(15, 30), "the logs")


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "promise_date": {"date": {"selected_date": None}},
            "promise_time": {"time": {"selected_time": None}},
            "promise_note": {"note": {"value": None}},
        },
    ],
)
def test_reading_a_modal_with_nothing_chosen(values: dict[str, object]) -> None:
    assert read_time_modal(values) == (None, None, "")  # type: ignore[arg-type]


def test_single_buttons_carry_the_record_key() -> None:
    assert buttons([{"type": "actions", "elements": [promise_button(101), take_button(7)]}]) == [
        ("Promise an update", ids.PROMISE_OPEN_MODAL, "101"),
        ("I'll take it", ids.PROMISE_TAKE, "7"),
    ]


def test_promise_lines() -> None:
    assert promise_line(promise(), calendar=CALENDAR, today=TODAY) == (
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs"
    )
    assert promise_line(promise(note=""), calendar=CALENDAR, today=TODAY, owner=True) == (
        "• #101: update due *Thu 3 Dec, 17:00 GMT* (<@UANN>)"
    )


def test_a_promise_on_the_app_home() -> None:
    blocks = home_promise_blocks(promise(), calendar=CALENDAR, today=TODAY)
    assert blocks_as_text(blocks) == (
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs\n"
        "[Done — client updated]  [New time…]"
    )
    assert buttons(blocks) == [DONE, NEW_TIME]


def test_done_blocks_replace_the_reminder() -> None:
    assert done_blocks(":white_check_mark: Done.") == [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":white_check_mark: Done."}}
    ]
