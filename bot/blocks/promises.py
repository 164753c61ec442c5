"""Promised updates in Slack: reminders, confirmations and the time modal, as pure functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from bot import ids, timefmt
from bot.blocks.escalation import escalate_button
from bot.blocks.kit import Block, actions, button, context, escape, link, mention, section
from bot.blocks.parts import holds_others as holds_other_parts
from bot.blocks.parts import named_part, settled_part
from bot.store.promises import Promise
from bot.worktime import WorkCalendar

DATE_BLOCK, DATE_ACTION = "promise_date", "date"
TIME_BLOCK, TIME_ACTION = "promise_time", "time"
NOTE_BLOCK, NOTE_ACTION = "promise_note", "note"

BEFORE, DUE, OVERDUE, CHANNEL, NOTED = "before", "due", "overdue", "channel", "noted"


@dataclass(frozen=True)
class Reminder:
    promise: Promise
    stage: str
    recipient: str
    subject: str
    ticket_url: str | None
    # The person on support, offered as "Hand to …" when it is someone else.
    on_support: str | None
    on_support_name: str | None
    now: datetime
    calendar: WorkCalendar
    # Posted where another organization reads along: the ticket's number only, no subject.
    shared: bool = False


_Moment = TypeVar("_Moment", date, time)


def ticket_ref(reminder: Reminder) -> str:
    number = f"#{reminder.promise.ticket_id}"
    label = link(reminder.ticket_url, number) if reminder.ticket_url else number
    subject = "" if reminder.shared else escape(reminder.subject)
    return f"{label} {subject}".rstrip()


def when(reminder: Reminder) -> str:
    calendar = reminder.calendar
    return timefmt.instant(reminder.promise.due_at, calendar.tz, today=calendar.today(reminder.now))


def _note(promise: Promise) -> str:
    return f"\n> {escape(promise.note)}" if promise.note else ""


def reminder_actions(reminder: Reminder) -> Block:
    promise_id = str(reminder.promise.id)
    elements = [
        button(
            "Done — client updated", action_id=ids.PROMISE_DONE, value=promise_id, style="primary"
        ),
        button("New time…", action_id=ids.PROMISE_NEW_TIME, value=promise_id),
    ]
    elements.append(escalate_button(reminder.promise.ticket_id))
    if reminder.on_support and reminder.on_support != reminder.promise.owner:
        elements.append(
            button(
                f"Hand to {reminder.on_support_name or 'the person on support'}",
                action_id=ids.PROMISE_HAND_OVER,
                value=promise_id,
            )
        )
    return actions(*elements)


def part_name(promise_id: int | None) -> str:
    """Each promise's blocks are named after it, so several share one message and a click
    settles only its own."""
    return f"promise.{promise_id}"


def reminder_blocks(reminder: Reminder) -> list[Block]:
    return named_part(part_name(reminder.promise.id), _reminder_blocks(reminder))


def settled_blocks(blocks: list[Block], promise_id: int, text: str) -> list[Block]:
    """A message after one of its promises was settled (see bot.blocks.parts)."""
    return settled_part(blocks, part_name(promise_id), text)


def holds_others(blocks: list[Block], promise_id: int) -> bool:
    """Whether a message about this promise also carries other items with buttons."""
    return holds_other_parts(blocks, part_name(promise_id))


def _reminder_blocks(reminder: Reminder) -> list[Block]:
    promise, ref, due = reminder.promise, ticket_ref(reminder), when(reminder)
    if reminder.stage == NOTED:
        return [
            section(
                f":memo: I noted your promise to update {ref} by *{due}*.{_note(promise)}\n"
                "I'll remind you before it is due."
            ),
            actions(
                button("Not a promise", action_id=ids.PROMISE_NOT_A_PROMISE, value=str(promise.id)),
                button("Change time", action_id=ids.PROMISE_NEW_TIME, value=str(promise.id)),
            ),
        ]
    if reminder.stage == CHANNEL:
        return [
            section(
                f":warning: {mention(promise.owner)}'s promised update on {ref} was due "
                f"*{due}* and the client has not heard from us yet."
                f"{'' if reminder.shared else _note(promise)}"
            ),
            actions(button("I'll take it", action_id=ids.PROMISE_TAKE, value=str(promise.id))),
        ]
    headline = {
        BEFORE: f":alarm_clock: Your promised update on {ref} is due *{due}*.",
        DUE: f":alarm_clock: Your promised update on {ref} is due now (*{due}*).",
        OVERDUE: (
            f":warning: Your promised update on {ref} was due *{due}* and is still open. "
            "If you can't do it yet, tell the client when you will: failing silently is doubly bad."
        ),
    }[reminder.stage]
    return [
        section(headline + _note(promise)),
        reminder_actions(reminder),
        context(
            "Press *Done* once the client has the update; a public reply in Zendesk counts too."
        ),
    ]


def reminder_text(reminder: Reminder) -> str:
    number = f"#{reminder.promise.ticket_id}"
    return {
        NOTED: f"I noted your promise to update {number} by {when(reminder)}.",
        CHANNEL: f"<@{reminder.promise.owner}>'s promised update on {number} is overdue.",
        BEFORE: f"Your promised update on {number} is due {when(reminder)}.",
        DUE: f"Your promised update on {number} is due now.",
        OVERDUE: f"Your promised update on {number} is overdue.",
    }[reminder.stage]


def done_blocks(text: str) -> list[Block]:
    return [section(text)]


def time_modal(
    *,
    callback_id: str,
    title: str,
    submit: str,
    initial: datetime,
    calendar: WorkCalendar,
    metadata: dict[str, Any],
    intro: str,
    note: str = "",
    with_note: bool = True,
) -> dict[str, Any]:
    local = calendar.local(initial)
    blocks: list[Block] = [
        section(intro),
        {
            "type": "input",
            "block_id": DATE_BLOCK,
            "label": {"type": "plain_text", "text": "Day"},
            "element": {
                "type": "datepicker",
                "action_id": DATE_ACTION,
                "initial_date": local.date().isoformat(),
            },
        },
        {
            "type": "input",
            "block_id": TIME_BLOCK,
            "label": {"type": "plain_text", "text": f"Time ({calendar.tz.key})"},
            "element": {
                "type": "timepicker",
                "action_id": TIME_ACTION,
                "initial_time": local.strftime("%H:%M"),
            },
        },
    ]
    if with_note:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": NOTE_ACTION,
            "multiline": True,
            "placeholder": {"type": "plain_text", "text": "What did you promise? (optional)"},
        }
        if note:
            element["initial_value"] = note
        blocks.append(
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def read_time_modal(values: dict[str, Any]) -> tuple[date | None, time | None, str]:
    """The day, time and note a person submitted (None where a field is missing)."""
    raw_date = values.get(DATE_BLOCK, {}).get(DATE_ACTION, {}).get("selected_date")
    raw_time = values.get(TIME_BLOCK, {}).get(TIME_ACTION, {}).get("selected_time")
    note = values.get(NOTE_BLOCK, {}).get(NOTE_ACTION, {}).get("value") or ""
    return _iso(date, raw_date), _iso(time, raw_time), str(note).strip()


def _iso(kind: type[_Moment], raw: Any) -> _Moment | None:
    """Slack's date or time picker value, or None when there is none (or it is not one)."""
    if not isinstance(raw, str):
        return None
    try:
        return kind.fromisoformat(raw)
    except ValueError:
        return None


def promise_button(ticket_id: int) -> Block:
    return button("Promise an update", action_id=ids.PROMISE_OPEN_MODAL, value=str(ticket_id))


def take_button(promise_id: int) -> Block:
    return button("I'll take it", action_id=ids.PROMISE_TAKE, value=str(promise_id))


def promise_line(
    promise: Promise, *, calendar: WorkCalendar, today: date, owner: bool = False
) -> str:
    due = timefmt.instant(promise.due_at, calendar.tz, today=today)
    note = f" — {escape(promise.note)}" if promise.note else ""
    held = f" ({mention(promise.owner)})" if owner else ""
    return f"• #{promise.ticket_id}: update due *{due}*{note}{held}"


def home_promise_blocks(promise: Promise, *, calendar: WorkCalendar, today: date) -> list[Block]:
    """One promise on the App Home: when it is due, and the buttons that settle it."""
    assert promise.id is not None
    return [
        section(promise_line(promise, calendar=calendar, today=today)),
        actions(
            button(
                "Done — client updated",
                action_id=ids.PROMISE_DONE,
                value=str(promise.id),
                style="primary",
            ),
            button("New time…", action_id=ids.PROMISE_NEW_TIME, value=str(promise.id)),
        ),
    ]
