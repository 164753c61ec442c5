"""The warnings a ticket carries on the card and in the digests: the client sounds unhappy,
the requester is not authorised."""

from __future__ import annotations

from bot.blocks.escalation import escalate_button
from bot.blocks.kit import Block, escape, section
from bot.blocks.models import TicketFlags

UNHAPPY_REASON = "unhappy"


def unhappy_text(phrase: str) -> str:
    return f":face_with_head_bandage: client sounds unhappy: “{escape(phrase)}”"


def not_authorised_text(client: str) -> str:
    if not client:
        return ":no_entry: requester not authorised: the ticket has no client organization"
    return f":no_entry: requester not authorised for {escape(client)}"


def flag_lines(flags: TicketFlags) -> list[str]:
    lines = []
    if flags.unhappy is not None:
        lines.append(unhappy_text(flags.unhappy))
    if flags.not_authorised_for is not None:
        lines.append(not_authorised_text(flags.not_authorised_for))
    return lines


def unhappy_escalate_button(ticket_id: int) -> Block:
    """*Escalate*, with "Client is unhappy" chosen in the modal it opens."""
    return escalate_button(ticket_id, label="Escalate", reason=UNHAPPY_REASON)


def flags_block(ticket_id: int, flags: TicketFlags) -> list[Block]:
    """The card's warnings, with *Escalate* beside an unhappy client."""
    lines = flag_lines(flags)
    if not lines:
        return []
    accessory = unhappy_escalate_button(ticket_id) if flags.unhappy is not None else None
    return [section("\n".join(lines), accessory=accessory)]
