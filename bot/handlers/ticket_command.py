"""`/ticket ID`: an ephemeral card for one Zendesk ticket, with its priority buttons."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.access import asker_of, remembered_allowed
from bot.blocks.models import TicketCard
from bot.blocks.ticket import not_a_ticket_id, usage_text
from bot.listeners import within_budget
from bot.promises.record import promise_from_command
from bot.services import Services, services_of
from bot.store.changes import FACTS_KEPT, TICKET_CARD, Remembered
from bot.surfaces import card_as_message, card_message, for_ticket_people, parse_ticket_id
from bot.tickets.card import mirrored_card
from bot.tickets.refresh import mirrored_or_fetched

# Where the ack function leaves the lazy listener what it acked without answering.
PROMISE_ARGS = "ticket_promise_args"
TO_FETCH = "ticket_to_fetch"
UNMIRRORED = "ticket_unmirrored"
# Where the matcher leaves the card it found in the mirror, as a message.
MIRRORED = "ticket_mirrored"


def register(app: App) -> None:
    # A card is remembered until a commit in any process writes a table it shows. It holds the
    # mirror's facts only: its "age" and "waiting" lines are worked out at each answer, and the
    # assignee's Slack match is checked for freshness then too (card_message_of).
    cards: Remembered[TicketCard | None] = Remembered(TICKET_CARD, max_age=FACTS_KEPT)

    def remembered(command: dict[str, Any], context: BoltContext) -> bool:
        """A card shown a moment ago, asked by someone known to be allowed to see it: the
        card is the ack, with nothing after. It asks nobody, and reads one count."""
        ticket_id = parse_ticket_id(str(command.get("text") or ""))
        if ticket_id is None:
            return False
        services = services_of(context)
        if not remembered_allowed(services, asker_of(command)):
            return False
        found = cards.fresh(ticket_id, services)
        message = None if found is None else card_message_of(services, found[0])
        if message is not None:
            context[MIRRORED] = message
        return message is not None

    def answer_ticket_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        answer_fast(cards, ack, command, context)

    # Bolt starts a listener's lazy work (a copy of the request) even when the ack said all;
    # cards from memory, most of all, skip that under a listener of their own.
    app.command("/ticket", matchers=[remembered])(answer_from_mirror)
    app.command("/ticket")(
        ack=within_budget(answer_ticket_command), lazy=[for_ticket_people(finish_ticket_command)]
    )


def answer_from_mirror(ack: Ack, context: BoltContext) -> None:
    ack(response_type="ephemeral", **context[MIRRORED])


def mirrored_card_of(
    services: Services, cards: Remembered[TicketCard | None], ticket_id: int
) -> TicketCard | None:
    """The card from the mirror alone, asking neither Zendesk nor Slack; None when the
    mirror lacks the ticket."""
    return cards.get_or_read(
        ticket_id,
        lambda: mirrored_card(services, ticket_id),
        keep=lambda found: found is not None,
        source=services,
    )


def card_message_of(services: Services, card: TicketCard | None) -> dict[str, Any] | None:
    if services.zendesk is None or card is None:
        return None
    if not card.assignee_match_is_fresh(services.now()):
        return None
    return card_as_message(services, card)


def answer_fast(
    cards: Remembered[TicketCard | None], ack: Ack, command: dict[str, Any], context: BoltContext
) -> None:
    """Mistakes are answered in the ack, and so is a card from the mirror for someone known to
    be allowed to see it; a promise, or a card Zendesk must give, is acked, then done."""
    text = str(command.get("text") or "").strip()
    if not text:
        ack(text=usage_text(None), response_type="ephemeral")
        return
    first, _, rest = text.partition(" ")
    if first.lower() == "promise":
        ack()
        context[PROMISE_ARGS] = rest
        return
    ticket_id = parse_ticket_id(text)
    if ticket_id is None:
        ack(text=not_a_ticket_id(text), response_type="ephemeral")
        return
    services = services_of(context)
    if services.zendesk is not None and remembered_allowed(services, asker_of(command)):
        card = mirrored_card_of(services, cards, ticket_id)
        message = card_message_of(services, card)
        if message is not None:
            ack(response_type="ephemeral", **message)
            return
        # Not in the mirror just now: the card comes from Zendesk without looking again.
        context[UNMIRRORED] = card is None
    ack()
    context[TO_FETCH] = ticket_id


def finish_ticket_command(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """A promise to record, or a card to read from Zendesk, acked a moment ago."""
    services = services_of(context)
    args: str | None = context.get(PROMISE_ARGS)
    ticket_id: int | None = context.get(TO_FETCH)
    if args is not None:
        reply = promise_from_command(
            services,
            user=str(command["user_id"]),
            args=args,
            ticket_of=partial(mirrored_or_fetched, services),
        )
        respond(text=reply, response_type="ephemeral")
    elif ticket_id is not None:
        unmirrored = bool(context.get(UNMIRRORED))
        respond(
            response_type="ephemeral",
            **card_message(services, ticket_id, unmirrored=unmirrored),
        )
    # Otherwise the ack answered, or it failed and has been reported.
