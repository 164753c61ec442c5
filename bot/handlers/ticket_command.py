"""`/ticket ID`: an ephemeral card for one Zendesk ticket, with its priority buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.blocks.ticket import (
    not_a_ticket_id,
    not_found_text,
    ticket_card_blocks,
    ticket_card_text,
    usage_text,
    zendesk_failure_text,
)
from bot.promises.record import promise_from_command
from bot.services import Services, services_of
from bot.store.changes import Remembered, Watch
from bot.tickets.card import TicketCard, mirrored_card, mirrored_or_fetched, ticket_card
from bot.zendesk.client import ZendeskError, ZendeskNotFound

# Everything a card shows. A card is remembered until one of these changes in this process,
# or for 30 s: the mirror is itself minutes behind Zendesk, so that costs nothing.
CARD_TABLES = Watch(
    {"ticket", "zendesk_user", "zendesk_organization", "priority_review", "promise"}
)


def register(app: App) -> None:
    cards: Remembered[TicketCard | None] = Remembered(CARD_TABLES)

    def ticket_command(
        ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        run_ticket_command(cards, ack, command, respond, context)

    def answer_inline(
        ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
    ) -> bool:
        """A mistake in the text, or a card read a moment ago, answered on Bolt's thread."""
        services = services_of(context)
        text = str(command.get("text") or "").strip()
        if not text or text.lower().startswith("promise"):
            return False
        ticket_id = parse_ticket_id(text)
        if ticket_id is None:
            ack(text=not_a_ticket_id(text), response_type="ephemeral")
            return True
        found = cards.fresh(ticket_id)
        card = None if found is None else found[0]
        if card is None or not card.assignee_match_is_fresh(services.now()):
            return False
        ack(response_type="ephemeral", **_as_message(services, card))
        return True

    ticket_command.answer_inline = answer_inline  # type: ignore[attr-defined]
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


def mirrored_card_message(
    services: Services, cards: Remembered[TicketCard | None], ticket_id: int
) -> dict[str, Any] | None:
    """The card from the mirror alone, asking neither Zendesk nor Slack; None when that
    would not do (the mirror lacks the ticket, or the assignee's Slack match is a day old)."""
    if services.zendesk is None:
        return None
    card = cards.get_or_read(
        ticket_id,
        lambda: mirrored_card(services, ticket_id),
        keep=lambda found: found is not None,
    )
    if card is None or not card.assignee_match_is_fresh(services.now()):
        return None
    return _as_message(services, card)


def _as_message(
    services: Services, card: TicketCard, *, notice: str | None = None
) -> dict[str, Any]:
    blocks = ticket_card_blocks(card, services.calendar, now=services.now(), notice=notice)
    return {"text": ticket_card_text(card), "blocks": blocks}


def run_ticket_command(
    cards: Remembered[TicketCard | None],
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    context: BoltContext,
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
    mirrored = mirrored_card_message(services, cards, ticket_id)
    if mirrored is not None:
        ack(response_type="ephemeral", **mirrored)
        return
    ack()
    respond(response_type="ephemeral", **card_message(services, ticket_id))
