"""Escalation to a delivery lead: the button, the modal, the lead's DM and the channel line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import ids, timefmt
from bot.blocks.kit import Block, actions, button, context, escape, mention, section
from bot.store.escalations import ACKNOWLEDGED, CHARGEABLE, CONTACTING, REASONS, Escalation
from bot.worktime import WorkCalendar

REASON_BLOCK = "reason"
NOTE_BLOCK = "note"
NOTE_LIMIT = 2000
NO_LEAD = (
    "No delivery lead is set: anyone on the rota can set one with `/rota lead @name` "
    "(or `/rota lead @name CLIENT` for one client)."
)
NO_REASON = "Choose a reason, so the lead knows what kind of help is needed."
NO_EXPLANATION = (
    "Say why the work is chargeable: the lead gets the ticket with this explanation, "
    "and so does Zendesk's internal note."
)
SECTION_LINES = 5


def escalate_button(ticket_id: int, *, label: str = "Escalate", reason: str | None = None) -> Block:
    """The button that opens the escalation modal; the card says "Escalate to delivery lead".
    With a `reason` (one of REASONS), the modal opens with it chosen: the value is "ID:reason"
    (read by bot.handlers.escalation.parse_escalate_value)."""
    value = str(ticket_id) if reason is None else f"{ticket_id}:{reason}"
    return button(label, action_id=ids.ESCALATE, value=value)


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
    """`reason`: the reason chosen already (a time-box DM's or an unhappy client's *Escalate*
    chooses one)."""
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
                "and Zendesk an internal note. *Out of scope — chargeable work* also hands "
                "them the ticket in Zendesk: say why in the note."
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
    changed_hands = reassignment_line(escalation, calendar, now=now, to_lead=True)
    if changed_hands is not None:
        blocks.append(section(changed_hands))
        if escalation.reassigned:
            blocks.append(actions(take_back_button(escalation)))
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


def take_back_button(escalation: Escalation) -> Block:
    assert escalation.id is not None
    return button("Take it back", action_id=ids.CHARGEABLE_TAKE_BACK, value=str(escalation.id))


def reassignment_line(
    escalation: Escalation, calendar: WorkCalendar, *, now: datetime, to_lead: bool
) -> str | None:
    """Where a chargeable ticket went in Zendesk (None: not a chargeable escalation)."""
    if escalation.reason != CHARGEABLE:
        return None
    if escalation.taken_back_at is not None and escalation.taken_back_by is not None:
        when = timefmt.instant(escalation.taken_back_at, calendar.tz, today=calendar.today(now))
        return (
            f":leftwards_arrow_with_hook: Taken back by {mention(escalation.taken_back_by)} "
            f"({when}): the assignment and the `{escalation.reassigned_tag}` tag are undone."
        )
    if escalation.reassigned:
        tag = f"tagged `{escalation.reassigned_tag}`"
        if escalation.reassigned_assignee_id is not None:
            whose = (
                "now yours in Zendesk: assigned to you"
                if to_lead
                else (
                    f"now {mention(escalation.lead)}'s in Zendesk: assigned to "
                    f"{escape(escalation.reassigned_to or '')}"
                )
            )
            return (
                f":inbox_tray: The ticket is {whose}, {tag}. "
                "Treat it as a lead and make a plan with the client."
            )
        return (
            f":inbox_tray: The ticket is assigned in Zendesk to "
            f"{escape(escalation.reassigned_to or 'a group')}, {tag}."
        )
    why = escape(escalation.reassign_error or "unknown reason")
    return f":warning: The ticket was not reassigned in Zendesk: {why}."


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
    if escalation.reason == CHARGEABLE:
        if escalation.reassigned:
            lines.append(
                f"Reassigned to {escalation.reassigned_to} as chargeable work "
                f"(tag {escalation.reassigned_tag})."
            )
        else:
            lines.append(f"Not reassigned: {escalation.reassign_error}.")
    return "\n".join(lines)


def take_back_note(by: str) -> str:
    return f"Chargeable work taken back by {by} through Rotabot: the assignment and tag are undone."


def taken_back_text(escalation: Escalation, label: str) -> str:
    by = mention(escalation.taken_back_by or "")
    return (
        f"{by} took back {label}: its assignment in Zendesk is as before, and it is no longer "
        f"tagged `{escalation.reassigned_tag}`."
    )


def raiser_blocks(escalation: Escalation, text: str) -> list[Block] | None:
    """The raiser's answer, with *Take it back* when the ticket changed hands (else text)."""
    if not escalation.reassigned:
        return None
    return [section(text), actions(take_back_button(escalation))]


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
    if escalation.reason == CHARGEABLE:
        if escalation.reassigned:
            told += (
                f" The ticket is assigned to {escape(escalation.reassigned_to or '')} in Zendesk "
                f"and tagged `{escalation.reassigned_tag}`, so it leaves your digests."
            )
        else:
            told += (
                " :warning: I couldn't reassign it in Zendesk: "
                f"{escape(escalation.reassign_error or 'unknown reason')}. "
                "Please assign it yourself."
            )
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
