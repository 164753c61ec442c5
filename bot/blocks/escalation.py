"""Escalation to a delivery lead: the button, the modal, the lead's DM and the channel line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import ids, timefmt
from bot.blocks.kit import Block, actions, button, context, escape, mention, section
from bot.store.escalations import ACKNOWLEDGED, CONTACTING, REASONS, Escalation
from bot.worktime import WorkCalendar

REASON_BLOCK = "reason"
NOTE_BLOCK = "note"
NOTE_LIMIT = 2000
NO_LEAD = (
    "No delivery lead is set: anyone on the rota can set one with `/rota lead @name` "
    "(or `/rota lead @name CLIENT` for one client)."
)
NO_REASON = "Choose a reason, so the lead knows what kind of help is needed."
SECTION_LINES = 5


def escalate_button(ticket_id: int, *, label: str = "Escalate", reason: str | None = None) -> Block:
    """The button that opens the escalation modal; the card says "Escalate to delivery lead".
    With a `reason` (one of REASONS), the modal opens with it chosen."""
    action_id = ids.ESCALATE if reason is None else f"{ids.ESCALATE}.{reason}"
    return button(label, action_id=action_id, value=str(ticket_id))


def preselected_reason(action_id: str) -> str | None:
    """The reason an *Escalate* button chose already (None: none, or one no longer known)."""
    reason = action_id.removeprefix(f"{ids.ESCALATE}.") if action_id != ids.ESCALATE else None
    return reason if reason in REASONS else None


def ticket_label(ticket_id: int, subject: str, client: str | None) -> str:
    text = f"#{ticket_id} {subject or '(no subject)'}"
    return escape(f"{text} ({client})" if client else text)


def ticket_link(ticket_id: int, subject: str, client: str | None, url: str | None) -> str:
    label = ticket_label(ticket_id, subject, client)
    return f"<{url}|{label}>" if url else label


def _modal(title: str, blocks: list[Block], *, submit: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.ESCALATION_MODAL,
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Cancel" if submit else "Close"},
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = {"type": "plain_text", "text": submit}
    return view


def escalation_modal(
    ticket_id: int, subject: str, client: str | None, lead: str, *, reason: str | None = None
) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": code}
        for code, label in REASONS.items()
    ]
    reason_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.ESCALATION_REASON,
        "placeholder": {"type": "plain_text", "text": "Why does this need a lead?"},
        "options": options,
    }
    if reason in REASONS:
        reason_select["initial_option"] = next(o for o in options if o["value"] == reason)
    note_input = {
        "type": "plain_text_input",
        "action_id": ids.ESCALATION_NOTE,
        "multiline": True,
        "max_length": NOTE_LIMIT,
        "placeholder": {"type": "plain_text", "text": "What happened, what the client said"},
    }
    view = _modal(
        "Escalate to a lead",
        [
            section(
                f"*{ticket_label(ticket_id, subject, client)}* goes to {mention(lead)}, "
                "the delivery lead. They get a DM, the rota channel a line, "
                "and Zendesk an internal note."
            ),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": reason_select,
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": note_input,
            },
        ],
        submit="Escalate",
    )
    view["private_metadata"] = str(ticket_id)
    return view


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only explains (no lead set, or the ticket could not be read)."""
    return _modal("Escalate to a lead", [section(text)])


def read_escalation_modal(values: dict[str, Any]) -> tuple[str | None, str]:
    """The reason code (None when missing or unknown) and the note a person submitted."""
    option = values.get(REASON_BLOCK, {}).get(ids.ESCALATION_REASON, {}).get("selected_option")
    code = option.get("value") if isinstance(option, dict) else None
    note = values.get(NOTE_BLOCK, {}).get(ids.ESCALATION_NOTE, {}).get("value") or ""
    return (code if code in REASONS else None), str(note).strip()


def _facts(escalation: Escalation) -> str:
    lines = [f"*Reason:* {REASONS.get(escalation.reason, escalation.reason)}"]
    if escalation.note:
        lines.append(f"*Note:* {escape(escalation.note)}")
    lines.append(f"*Raised by:* {mention(escalation.raised_by)}")
    return "\n".join(lines)


def state_text(escalation: Escalation, calendar: WorkCalendar, *, now: datetime) -> str | None:
    today = calendar.today(now)
    if escalation.state == CONTACTING and escalation.contacting_at is not None:
        when = timefmt.instant(escalation.contacting_at, calendar.tz, today=today)
        return f":telephone_receiver: {mention(escalation.lead)} is contacting the client ({when})"
    if escalation.state == ACKNOWLEDGED and escalation.acknowledged_at is not None:
        when = timefmt.instant(escalation.acknowledged_at, calendar.tz, today=today)
        return f":white_check_mark: Acknowledged by {mention(escalation.lead)} ({when})"
    return None


def lead_dm_blocks(
    escalation: Escalation, link: str, calendar: WorkCalendar, *, now: datetime
) -> list[Block]:
    assert escalation.id is not None
    blocks = [
        section(f":rotating_light: *Escalated to you:* {link}\n{_facts(escalation)}"),
    ]
    state = state_text(escalation, calendar, now=now)
    if escalation.state != CONTACTING:
        blocks.append(
            actions(
                *(
                    []
                    if escalation.state == ACKNOWLEDGED
                    else [
                        button(
                            "Acknowledge",
                            action_id=ids.ESCALATION_ACKNOWLEDGE,
                            value=str(escalation.id),
                            style="primary",
                        )
                    ]
                ),
                button(
                    "I'll contact the client",
                    action_id=ids.ESCALATION_CONTACT,
                    value=str(escalation.id),
                ),
            )
        )
    if state is not None:
        blocks.append(context(state))
    return blocks


def lead_dm_text(escalation: Escalation, label: str) -> str:
    return f"{label} was escalated to you: {REASONS.get(escalation.reason, escalation.reason)}"


def channel_blocks(escalation: Escalation, link: str) -> list[Block]:
    return [
        section(
            f":rotating_light: {mention(escalation.raised_by)} escalated {link} to "
            f"{mention(escalation.lead)}.\n{_facts(escalation)}"
        )
    ]


def channel_text(escalation: Escalation, label: str) -> str:
    return (
        f"{label} was escalated to the delivery lead: "
        f"{REASONS.get(escalation.reason, escalation.reason)}"
    )


def shared_channel_text(escalation: Escalation) -> str:
    """The channel line where the channel is shared with another organization: no subject,
    client, reason or note, only that the ticket was escalated and who has it."""
    return (
        f":rotating_light: {mention(escalation.raised_by)} escalated ticket "
        f"#{escalation.ticket_id} to {mention(escalation.lead)}. This channel is shared with "
        "another organization, so the details are in the lead's DM."
    )


def zendesk_note(escalation: Escalation, *, raised_by: str, lead: str) -> str:
    """The internal note: the same facts, with names instead of Slack ids."""
    lines = [
        f"Escalated to the delivery lead ({lead}) by {raised_by} through Rotabot.",
        f"Reason: {REASONS.get(escalation.reason, escalation.reason)}",
    ]
    if escalation.note:
        lines.append(f"Note: {escalation.note}")
    return "\n".join(lines)


def raised_text(
    escalation: Escalation, label: str, *, lead_told: bool, note_problem: str | None
) -> str:
    lead = mention(escalation.lead)
    if lead_told:
        told = f"I escalated {label} to {lead} and told the rota channel."
    else:
        told = (
            f"I recorded the escalation of {label} and told the rota channel, but :warning: "
            f"I couldn't send {lead} a DM: please tell them yourself."
        )
    if note_problem is not None:
        told += (
            f" :warning: I couldn't add the internal note to Zendesk ({note_problem}); "
            "I'll retry it at the next check."
        )
    else:
        told += " Zendesk has an internal note."
    return f"{told} You'll hear when {lead} acknowledges it."


def acknowledged_text(escalation: Escalation, label: str) -> str:
    if escalation.state == CONTACTING:
        return f"{mention(escalation.lead)} will contact the client about {label}."
    return f"{mention(escalation.lead)} acknowledged the escalation of {label}."


def not_yours_text(lead: str) -> str:
    return f"Sorry, this escalation was sent to {mention(lead)}; only they can answer it here."


def escalations_section(
    escalations: list[tuple[Escalation, str]], calendar: WorkCalendar, *, now: datetime
) -> list[Block]:
    """For the App Home and the weekly summary: (escalation, ticket link) pairs."""
    if not escalations:
        return [section("*Escalations*\nNone.")]
    today = calendar.today(now)
    lines = []
    for escalation, link in escalations[:SECTION_LINES]:
        when = timefmt.day(calendar.today(escalation.raised_at), today=today)
        state = {ACKNOWLEDGED: "acknowledged", CONTACTING: "contacting the client"}.get(
            escalation.state, "waiting for the lead"
        )
        lines.append(
            f"• {link}: {REASONS.get(escalation.reason, escalation.reason)}, {when}, "
            f"to {mention(escalation.lead)} ({state})"
        )
    blocks = [section(f"*Escalations* ({len(escalations)})\n" + "\n".join(lines))]
    if len(escalations) > SECTION_LINES:
        blocks.append(context(f"and {len(escalations) - SECTION_LINES} more"))
    return blocks
