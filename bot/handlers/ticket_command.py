"""`/ticket ID`: an ephemeral card for one Zendesk ticket, with its priority buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.app import services_of
from bot.blocks.ticket import (
    not_a_ticket_id,
    not_found_text,
    ticket_card_blocks,
    ticket_card_text,
    usage_text,
    zendesk_failure_text,
)
from bot.promises import promise_from_command
from bot.services import Services
from bot.store.tickets import slack_match_is_fresh, ticket_by_id, zendesk_user
from bot.tickets import TicketCard, mirrored_or_fetched, ticket_card
from bot.zendesk import ZendeskError, ZendeskNotFound


def register(app: App) -> None:
    app.command("/ticket")(ticket_command)


def parse_ticket_id(raw: str) -> int | None:
    """`1234` or `#1234`; anything else is not a ticket number."""
    digits = raw.strip().removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or int(digits) == 0:
        return None
    return int(digits)


def card_message(
    services: Services, ticket_id: int, *, notice: str | None = None
) -> dict[str, Any]:
    """The card as message arguments, or a sentence saying why there is none."""
    try:
        ticket = mirrored_or_fetched(services, ticket_id)
        card = ticket_card(services, ticket)
    except ZendeskNotFound:
        return {"text": not_found_text(ticket_id)}
    except ZendeskError as error:
        return {"text": zendesk_failure_text(str(error))}
    return _as_message(services, card, notice=notice)


def mirrored_card_message(services: Services, ticket_id: int) -> dict[str, Any] | None:
    """The card from the mirror alone, asking neither Zendesk nor Slack; None when that
    would not do (the mirror lacks the ticket, or the assignee's Slack match is a day old)."""
    if services.zendesk is None:
        return None
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
        if ticket is None:
            return None
        if ticket.assignee_id is not None:
            assignee = zendesk_user(session=session, user_id=ticket.assignee_id)
            if assignee is not None and not slack_match_is_fresh(assignee, now=services.now()):
                return None
    return _as_message(services, ticket_card(services, ticket))


def _as_message(
    services: Services, card: TicketCard, *, notice: str | None = None
) -> dict[str, Any]:
    blocks = ticket_card_blocks(card, services.calendar, now=services.now(), notice=notice)
    return {"text": ticket_card_text(card), "blocks": blocks}


def ticket_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Mistakes and mirrored tickets are answered in the ack; the rest is acked, then done."""
    services = services_of(context)
    text = str(command.get("text") or "").strip()
    if not text:
        ack(text=usage_text(None), response_type="ephemeral")
        return
    first, _, rest = text.partition(" ")
    if first.lower() == "promise":
        ack()
        reply = promise_from_command(services, user=str(command["user_id"]), args=rest)
        respond(text=reply, response_type="ephemeral")
        return
    ticket_id = parse_ticket_id(text)
    if ticket_id is None:
        ack(text=not_a_ticket_id(text), response_type="ephemeral")
        return
    mirrored = mirrored_card_message(services, ticket_id)
    if mirrored is not None:
        ack(response_type="ephemeral", **mirrored)
        return
    ack()
    respond(response_type="ephemeral", **card_message(services, ticket_id))
