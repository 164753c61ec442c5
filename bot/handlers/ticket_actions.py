"""The card's priority buttons: *Priority is right* and the priority select."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltContext, Respond
from sqlmodel import Session

from bot import ids
from bot.blocks.models import TicketCard
from bot.blocks.ticket import change_refused_text, parse_priority_option, usage_text
from bot.listeners import acked_then
from bot.services import services_of
from bot.store.tickets import Ticket
from bot.surfaces import card_message, for_ticket_people, parse_ticket_id, ticket_message
from bot.tickets.card import card_in
from bot.tickets.priority import change_priority, confirm_priority, confirm_seen
from bot.tickets.remembered import facts_generation, remember_facts, remembered_facts
from bot.zendesk.client import ZendeskError

OUT_OF_DATE = "That card is out of date; type `/ticket ID` to see the ticket again."


def register(app: App) -> None:
    right = for_ticket_people(priority_right_clicked)
    app.action(ids.TICKET_PRIORITY_RIGHT)(acked_then(right, quick=card_remembered))
    app.action(ids.TICKET_PRIORITY_SET)(acked_then(for_ticket_people(priority_chosen)))


def card_remembered(body: dict[str, Any], context: BoltContext) -> bool:
    """Whether the clicked card's facts are remembered, unchanged since: then the ticket is
    mirrored, and the click's work asks the database and Slack only (Zendesk only for a
    ticket the mirror lacks). Read from memory, with the counts the door read."""
    actions = body.get("actions") or [{}]
    clicked = actions[0] if isinstance(actions[0], dict) else {}
    ticket_id = parse_ticket_id(str(clicked.get("value") or ""))
    return ticket_id is not None and remembered_facts(services_of(context), ticket_id) is not None


def priority_right_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    ticket_id = parse_ticket_id(str(action.get("value") or ""))
    if ticket_id is None:
        respond(text=usage_text(OUT_OF_DATE), replace_original=False, response_type="ephemeral")
        return
    slack_user = body["user"]["id"]
    seen = remembered_facts(services, ticket_id)
    if seen is not None and seen.assignee_match_is_fresh(services.now()):
        # Nothing the card shows has changed since it was read, in any process: the review
        # is written, and the card shows it, with nothing read again.
        review = confirm_seen(services, ticket_id, slack_user=slack_user)
        reviewed = replace(seen, review=review)
        respond(replace_original=True, **ticket_message(services, seen.ticket, card=reviewed))
        return
    # The card is read in the transaction that records the review, just before it (unless its
    # assignee's Slack match is due a check, which is made outside it), then shows it.
    cards: list[TicketCard] = []
    generation = facts_generation(services)

    def read_card(session: Session, confirmed: Ticket) -> None:
        card = card_in(services, session, confirmed)
        if card is not None:
            cards.append(card)

    try:
        confirmed = confirm_priority(services, ticket_id, slack_user=slack_user, also=read_card)
    except ZendeskError as error:
        notice = change_refused_text(str(error))
        respond(replace_original=True, **card_message(services, ticket_id, notice=notice))
        return
    card = replace(cards[0], review=confirmed.review) if cards else None
    if card is not None:
        # The next click on this card writes its review without reading the card again.
        remember_facts(services, card, generation=generation)
    respond(replace_original=True, **ticket_message(services, confirmed.ticket, card=card))


def priority_chosen(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    option = action.get("selected_option") or {}
    chosen = parse_priority_option(str(option.get("value") or ""))
    if chosen is None:
        respond(text=usage_text(OUT_OF_DATE), replace_original=False, response_type="ephemeral")
        return
    ticket_id, priority = chosen
    try:
        change_priority(services, ticket_id, priority, slack_user=body["user"]["id"])
    except ZendeskError as error:
        notice = change_refused_text(str(error))
        respond(replace_original=True, **card_message(services, ticket_id, notice=notice))
        return
    respond(replace_original=True, **card_message(services, ticket_id))
