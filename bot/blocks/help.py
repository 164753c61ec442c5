"""Help that is scheduled: the *Ask for help…* button and modal, the question DM with its
answers, the reminder, the App Home and handover lines. Pure functions from data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot import ids, timefmt
from bot.blocks.kit import Block, actions, button, context, escape, mention, section
from bot.worktime import WorkCalendar

HELPER_BLOCK, DAY_BLOCK, TIME_BLOCK, LENGTH_BLOCK, WHAT_BLOCK = (
    "helper",
    "day",
    "time",
    "length",
    "what",
)
LENGTHS = {15: "15 minutes", 30: "30 minutes", 60: "1 hour", 120: "2 hours"}
WHAT_LIMIT = 1000
MISSING = {
    HELPER_BLOCK: "Choose who you'd like help from.",
    DAY_BLOCK: "Choose a day.",
    TIME_BLOCK: "Choose a time.",
    LENGTH_BLOCK: "Choose how long you need.",
}


def ask_help_button(ticket_id: int) -> Block:
    return button("Ask for help…", action_id=ids.HELP_OPEN, value=str(ticket_id))


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _when_inputs(day: date) -> list[Block]:
    return [
        _input(
            DAY_BLOCK,
            "Day",
            {"type": "datepicker", "action_id": ids.HELP_DAY, "initial_date": day.isoformat()},
        ),
        _input(
            TIME_BLOCK,
            "Time (working hours, 09:00–17:30)",
            {"type": "timepicker", "action_id": ids.HELP_TIME, "initial_time": "10:00"},
        ),
    ]


def help_modal(ticket_id: int, label: str, *, day: date) -> dict[str, Any]:
    length = {
        "type": "static_select",
        "action_id": ids.HELP_LENGTH,
        "options": [
            {"text": {"type": "plain_text", "text": name}, "value": str(minutes)}
            for minutes, name in LENGTHS.items()
        ],
        "initial_option": {"text": {"type": "plain_text", "text": LENGTHS[30]}, "value": "30"},
    }
    what = {
        "type": "plain_text_input",
        "action_id": ids.HELP_WHAT,
        "multiline": True,
        "max_length": WHAT_LIMIT,
        "placeholder": {"type": "plain_text", "text": "What you'd like a hand with"},
    }
    return {
        "type": "modal",
        "callback_id": ids.HELP_MODAL,
        "private_metadata": str(ticket_id),
        "title": {"type": "plain_text", "text": "Ask for help"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"Book a teammate's time for *{label}*. They get a DM to accept, suggest "
                "another time or decline; you both get a reminder 15 minutes before."
            ),
            _input(HELPER_BLOCK, "Who", {"type": "users_select", "action_id": ids.HELP_HELPER}),
            *_when_inputs(day),
            _input(LENGTH_BLOCK, "How long", length),
            _input(WHAT_BLOCK, "What for", what),
        ],
    }


def suggest_modal(request_id: int, label: str, *, day: date) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.HELP_SUGGEST_MODAL,
        "private_metadata": str(request_id),
        "title": {"type": "plain_text", "text": "Suggest another time"},
        "submit": {"type": "plain_text", "text": "Suggest"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [section(f"Another time for the help with *{label}*:"), *_when_inputs(day)],
    }


def notice_modal(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Ask for help"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


@dataclass(frozen=True)
class HelpForm:
    helper: str | None
    day: date | None
    at: time | None
    minutes: int | None
    what: str

    def missing(self) -> dict[str, str]:
        blocks = {
            HELPER_BLOCK: self.helper,
            DAY_BLOCK: self.day,
            TIME_BLOCK: self.at,
            LENGTH_BLOCK: self.minutes,
        }
        return {block: MISSING[block] for block, value in blocks.items() if value is None}


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    found = values.get(block, {}).get(action, {})
    return found if isinstance(found, dict) else {}


def read_help_form(values: dict[str, Any]) -> HelpForm:
    """What the modal holds; anything missing or malformed is None."""
    helper = _value(values, HELPER_BLOCK, ids.HELP_HELPER).get("selected_user")
    raw_day = _value(values, DAY_BLOCK, ids.HELP_DAY).get("selected_date")
    raw_time = _value(values, TIME_BLOCK, ids.HELP_TIME).get("selected_time")
    option = _value(values, LENGTH_BLOCK, ids.HELP_LENGTH).get("selected_option") or {}
    what = _value(values, WHAT_BLOCK, ids.HELP_WHAT).get("value") or ""
    try:
        day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
    except ValueError:
        day = None
    try:
        at = time.fromisoformat(raw_time) if isinstance(raw_time, str) else None
    except ValueError:
        at = None
    raw_minutes = option.get("value") if isinstance(option, dict) else None
    minutes = int(str(raw_minutes)) if str(raw_minutes).isdigit() else None
    return HelpForm(
        helper=helper if isinstance(helper, str) and helper else None,
        day=day,
        at=at,
        minutes=minutes if minutes in LENGTHS else None,
        what=str(what).strip()[:WHAT_LIMIT],
    )


@dataclass(frozen=True)
class HelpView:
    """One request for help, as the messages show it."""

    request_id: int
    ticket_id: int
    link: str
    url: str | None
    asker: str
    helper: str
    starts_at: datetime
    minutes: int
    what: str
    waiting_on: str


def slot_text(starts_at: datetime, minutes: int, calendar: WorkCalendar, *, now: datetime) -> str:
    when = timefmt.instant(starts_at, calendar.tz, today=calendar.today(now))
    return f"{when} ({LENGTHS.get(minutes, f'{minutes} minutes')})"


def _what(view: HelpView) -> str:
    return f"\n> {escape(view.what)}" if view.what else ""


def question_blocks(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> list[Block]:
    """For whoever must answer: the helper, or the asker after a suggested time."""
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    if view.waiting_on == view.helper:
        text = (
            f":raising_hand: {mention(view.asker)} asks you to help with {view.link} on *{slot}*."
        )
    else:
        text = (
            f":raising_hand: {mention(view.helper)} suggests *{slot}* instead, for helping you "
            f"with {view.link}."
        )
    value = str(view.request_id)
    return [
        section(text + _what(view)),
        actions(
            button("Accept", action_id=ids.HELP_ACCEPT, value=value, style="primary"),
            button("Suggest another time", action_id=ids.HELP_SUGGEST, value=value),
            button("Decline", action_id=ids.HELP_DECLINE, value=value),
        ),
    ]


def question_text(view: HelpView) -> str:
    if view.waiting_on == view.helper:
        return f"Can you help with ticket #{view.ticket_id}?"
    return f"Another time for help with ticket #{view.ticket_id}?"


def asked_text(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> str:
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    return (
        f"I asked {mention(view.waiting_on)} to help with {view.link} on *{slot}*. "
        "You'll hear when they answer."
    )


def accepted_text(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> str:
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    return (
        f":handshake: Booked: {mention(view.helper)} helps {mention(view.asker)} with "
        f"{view.link} on *{slot}*. You both get a reminder 15 minutes before."
    )


def declined_text(view: HelpView, by: str) -> str:
    return f"{mention(by)} declined the help with {view.link}: nothing is booked."


def cancelled_text(view: HelpView, by: str) -> str:
    return f"{mention(by)} can't make the help with {view.link} after all: it is cancelled."


def suggested_text(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> str:
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    return f"You suggested *{slot}* instead; waiting for {mention(view.waiting_on)} to answer."


def part_name(request_id: int) -> str:
    """A help reminder's blocks are named after the request, so it can share a message with
    other reminders and a click settles only its own (see bot.blocks.parts)."""
    return f"help.{request_id}"


def reminder_blocks(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> list[Block]:
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    buttons = [button("Can't make it", action_id=ids.HELP_DECLINE, value=str(view.request_id))]
    if view.url:
        buttons.insert(0, button("Open in Zendesk", action_id=ids.OPEN_IN_ZENDESK, url=view.url))
    return [
        section(
            f":alarm_clock: Soon: {mention(view.helper)} helps {mention(view.asker)} with "
            f"{view.link} at *{slot}*.{_what(view)}"
        ),
        actions(*buttons),
    ]


def reminder_text(view: HelpView) -> str:
    return f"In 15 minutes: help with ticket #{view.ticket_id}."


def unanswered_blocks(view: HelpView, calendar: WorkCalendar, *, now: datetime) -> list[Block]:
    slot = slot_text(view.starts_at, view.minutes, calendar, now=now)
    return [
        section(
            f":hourglass: {mention(view.waiting_on)} hasn't answered about the help with "
            f"{view.link} on *{slot}*. Ask someone else, or talk to them directly."
        ),
        actions(ask_help_button(view.ticket_id)),
    ]


def unanswered_text(view: HelpView) -> str:
    return f"No answer yet about help with ticket #{view.ticket_id}."


def booked_lines(views: list[HelpView], calendar: WorkCalendar, *, now: datetime) -> list[str]:
    return [
        f"• {slot_text(v.starts_at, v.minutes, calendar, now=now)}: {mention(v.helper)} helps "
        f"{mention(v.asker)} with {v.link}"
        for v in views
    ]


def booked_help_blocks(
    views: list[HelpView], calendar: WorkCalendar, *, now: datetime
) -> list[Block]:
    """The App Home's and the handover DMs' section (nothing when nothing is booked)."""
    if not views:
        return []
    return [
        section("*Help booked*\n" + "\n".join(booked_lines(views, calendar, now=now))),
        context("Help from another developer is scheduled, as the playbook asks."),
    ]
