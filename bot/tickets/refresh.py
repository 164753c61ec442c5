"""Mirroring one ticket now (a webhook, a card, a command), then noticing its promises."""

from __future__ import annotations

from bot.promises.detect import detect_in_replies
from bot.services import Services, zendesk_of
from bot.store.tickets import Ticket, reloaded_tickets, ticket_by_id
from bot.store.types import LARGEST_ID
from bot.zendesk.client import ZendeskNotFound
from bot.zendesk.mirror import ZendeskRead, read_comments_and_people, store_read_in_transaction


def refresh_ticket(services: Services, ticket_id: int) -> Ticket:
    """Read one ticket, its comments and its people through the API, then mirror them."""
    zendesk = zendesk_of(services)
    read = ZendeskRead(
        tickets=[zendesk.ticket(ticket_id)],
        time_spent_field=services.settings.time_spent_field,
    )
    read_comments_and_people(zendesk, services, read, changed=[ticket_id])
    (written,) = store_read_in_transaction(services, read, now=services.now())
    detect_in_replies(services, read)
    with services.session() as session:
        return reloaded_tickets(session=session, ticket_ids={written})[written]


def mirrored_or_fetched(services: Services, ticket_id: int) -> Ticket:
    """The mirrored ticket, or, when the mirror has not seen it yet, the ticket from Zendesk."""
    if not 0 < ticket_id <= LARGEST_ID:
        raise ZendeskNotFound(f"Zendesk has no ticket #{ticket_id}")
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
    return ticket if ticket is not None else refresh_ticket(services, ticket_id)
