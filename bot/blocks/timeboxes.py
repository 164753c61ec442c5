"""Time-boxes: the *I'm on it* button, the DM when one runs past its hours, the App Home line."""

from __future__ import annotations

from dataclasses import dataclass

from bot import ids, timefmt
from bot.blocks.escalation import escalate_button
from bot.blocks.kit import Block, actions, button, section
from bot.store.escalations import POST_UPDATE

TRIAGE_RULE = (
    "The playbook: _“it is better to spend half an hour solving each of four tickets than to "
    "spend two hours on one issue.”_"
)
UPDATE_RULE = (
    "It's tagged `{tag}`, and the playbook says: _“if we've spent a couple of hours on an "
    "update-related bug and it's still not fixed, we're probably dealing with”_ a complex "
    "problem, which is chargeable work for a delivery lead."
)


def on_it_button(ticket_id: int) -> Block:
    return button("I'm on it", action_id=ids.TIMEBOX_START, value=str(ticket_id))


def hours(worked: float) -> str:
    return timefmt.duration_working_hours(worked)


@dataclass(frozen=True)
class TimeboxNote:
    """What a time-box DM says: whose box, which ticket (as a link), how long so far."""

    timebox_id: int
    ticket_id: int
    link: str
    worked: float
    update_related: bool
    update_tag: str


def part_name(timebox_id: int) -> str:
    """A time-box DM's blocks are named after the box, so it can share a message with other
    reminders and a click settles only its own (see bot.blocks.parts)."""
    return f"timebox.{timebox_id}"


def timebox_dm_text(note: TimeboxNote) -> str:
    return f"You've spent {hours(note.worked)} on ticket #{note.ticket_id}."


def timebox_dm_blocks(note: TimeboxNote) -> list[Block]:
    lines = [f":stopwatch: You've spent *{hours(note.worked)}* on {note.link}.", TRIAGE_RULE]
    if note.update_related:
        lines.append(UPDATE_RULE.format(tag=note.update_tag))
    escalate = escalate_button(note.ticket_id, reason=POST_UPDATE if note.update_related else None)
    return [
        section("\n".join(lines)),
        actions(
            escalate,
            button("One more hour", action_id=ids.TIMEBOX_MORE, value=str(note.timebox_id)),
            button("Stop", action_id=ids.TIMEBOX_STOP, value=str(note.timebox_id)),
        ),
    ]


def started_text(
    link: str,
    *,
    limit: float,
    worked: float,
    already: bool,
    resumed: bool,
    paused: tuple[str, float] | None,
) -> str:
    """The answer to *I'm on it*; `paused` is the ticket paused to start this one."""
    if already:
        text = f":stopwatch: Your time-box on {link} is already running ({hours(worked)} so far)."
    elif resumed:
        text = f":stopwatch: Resumed your time-box on {link} ({hours(worked)} so far)."
    else:
        text = f":stopwatch: Time-box started on {link}."
    text += f" I'll DM you when it reaches {hours(limit)}; only working time counts."
    if paused is not None:
        paused_link, paused_worked = paused
        text += (
            f" Your time-box on {paused_link} is paused at {hours(paused_worked)}: "
            "press *I'm on it* there to resume it."
        )
    return text


def closed_text(ticket_id: int, status: str) -> str:
    return (
        f"Ticket #{ticket_id} is {status}, so there is nothing to time: no time-box started. "
        "If the client came back, reopen it in Zendesk first."
    )


def stopped_text(link: str, worked: float) -> str:
    return f":white_check_mark: Time-box on {link} stopped at {hours(worked)}."


def more_text(link: str, worked: float, limit: float, *, ended: bool) -> str:
    if ended:
        return (
            f"The time-box on {link} has ended ({hours(worked)}); press *I'm on it* to start one."
        )
    return (
        f":stopwatch: One more hour on {link}: {hours(worked)} so far, "
        f"I'll DM you again at {hours(limit)}."
    )


def not_yours_text(owner: str) -> str:
    return f"Sorry, this time-box is <@{owner}>'s; only they can change it."


@dataclass(frozen=True)
class RunningTimebox:
    """The App Home's line: the person's running time-box."""

    timebox_id: int
    link: str
    worked: float
    limit: float


def home_timebox_blocks(running: RunningTimebox | None) -> list[Block]:
    if running is None:
        return []
    return [
        {"type": "divider"},
        section(
            f":stopwatch: *Your time-box:* {running.link}, "
            f"{hours(running.worked)} of {hours(running.limit)}",
            accessory=button("Stop", action_id=ids.TIMEBOX_STOP, value=str(running.timebox_id)),
        ),
    ]
