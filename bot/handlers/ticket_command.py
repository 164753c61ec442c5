"""`/ticket ID`: an ephemeral card for one Zendesk ticket, with its priority buttons."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.access import asker_of, remembered_allowed
from bot.blocks.models import TicketCard
from bot.blocks.ticket import not_a_ticket_id, usage_text
from bot.listeners import ARGUMENTS, asking_for, within_budget
from bot.promises.record import promise_from_command
from bot.services import Services, services_of
from bot.surfaces import card_as_message, card_message, for_ticket_people, parse_ticket_id
from bot.tickets.refresh import mirrored_or_fetched
from bot.tickets.remembered import card_from_mirror, remembered_card

# Where the matcher leaves the card it found in the mirror, as a message.
MIRRORED = "ticket_mirrored"


def register(app: App) -> None:
    # A card is remembered until a commit in any process writes a table it shows (see
    # bot.tickets.remembered). It holds the mirror's facts only: its "age" and "waiting" lines
    # are worked out at each answer, and the assignee's Slack match is checked for freshness
    # then too (card_message_of).

    def remembered(command: dict[str, Any], context: BoltContext) -> bool:
        """A card shown a moment ago, asked by someone known to be allowed to see it: the
        card is the ack, with nothing after. It asks nobody, and reads one count."""
        ticket_id = parse_ticket_id(str(command.get("text") or ""))
        if ticket_id is None:
            return False
        services = services_of(context)
        if not remembered_allowed(services, asker_of(command)):
            return False
        message = card_message_of(services, remembered_card(services, ticket_id))
        if message is not None:
            context[MIRRORED] = message
        return message is not None

    def answer_ticket_command(
        ack: Ack,
        command: dict[str, Any],
        body: dict[str, Any],
        respond: Respond,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        to_finish = answer_fast(ack, command, context)
        if to_finish is not None:
            # Handed the request as Bolt parsed it: a lazy listener would have Bolt parse it
            # again and deep-copy all of it (see acked_then). Only for people who may see
            # tickets: the check asks Slack, so it is part of the work after the ack.
            services_of(context).executor.submit(
                finish_for_ticket_people,
                to_finish=to_finish,
                command=command,
                body=body,
                respond=respond,
                context=context,
                client=client,
            )

    answer_or_finish = within_budget(answer_ticket_command)

    def answer(**given: Any) -> None:
        """A card from memory is the ack, with nothing after; anything else is answered (or
        acked, then finished) within the ack's budget. One listener, not one for each: Bolt
        tries every listener before the one that matches, each try building all the
        arguments a listener could ask for."""
        if remembered(given["command"], given["context"]):
            answer_from_mirror(given["ack"], given["context"])
        else:
            answer_or_finish(**given)

    app.command("/ticket")(ack=asking_for(answer, list(ARGUMENTS), answer_ticket_command), lazy=[])


def answer_from_mirror(ack: Ack, context: BoltContext) -> None:
    ack(response_type="ephemeral", **context[MIRRORED])


def card_message_of(services: Services, card: TicketCard | None) -> dict[str, Any] | None:
    if services.zendesk is None or card is None:
        return None
    if not card.assignee_match_is_fresh(services.now()):
        return None
    return card_as_message(services, card)


@dataclass(frozen=True)
class ToFinish:
    """What an ack left to do: a promise to record (its words), or a card to read."""

    promise_args: str | None = None
    ticket_id: int | None = None
    # The ack found the ticket missing from the mirror: it comes from Zendesk without looking.
    unmirrored: bool = False


def answer_fast(ack: Ack, command: dict[str, Any], context: BoltContext) -> ToFinish | None:
    """Mistakes are answered in the ack, and so is a card from the mirror for someone known to
    be allowed to see it; a promise, or a card Zendesk must give, is acked, and returned to
    be done after."""
    text = str(command.get("text") or "").strip()
    if not text:
        ack(text=usage_text(None), response_type="ephemeral")
        return None
    first, _, rest = text.partition(" ")
    if first.lower() == "promise":
        ack()
        return ToFinish(promise_args=rest)
    ticket_id = parse_ticket_id(text)
    if ticket_id is None:
        ack(text=not_a_ticket_id(text), response_type="ephemeral")
        return None
    services = services_of(context)
    unmirrored = False
    if services.zendesk is not None and remembered_allowed(services, asker_of(command)):
        card = card_from_mirror(services, ticket_id)
        message = card_message_of(services, card)
        if message is not None:
            ack(response_type="ephemeral", **message)
            return None
        unmirrored = card is None
    ack()
    return ToFinish(ticket_id=ticket_id, unmirrored=unmirrored)


def finish_ticket_command(
    to_finish: ToFinish, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """A promise to record, or a card to read from Zendesk, acked a moment ago."""
    services = services_of(context)
    if to_finish.promise_args is not None:
        reply = promise_from_command(
            services,
            user=str(command["user_id"]),
            args=to_finish.promise_args,
            ticket_of=partial(mirrored_or_fetched, services),
        )
        respond(text=reply, response_type="ephemeral")
    elif to_finish.ticket_id is not None:
        respond(
            response_type="ephemeral",
            **card_message(services, to_finish.ticket_id, unmirrored=to_finish.unmirrored),
        )


finish_for_ticket_people = for_ticket_people(finish_ticket_command)
