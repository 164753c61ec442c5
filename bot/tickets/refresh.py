"""Mirroring tickets now (a webhook, a card, a command), then noticing their promises.

Requests for tickets that arrive while a read is in flight are merged into the next read
(one show_many for up to 100 tickets), so a burst of webhooks for one ticket reads it once.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.promises.detect import detect_in_replies
from bot.services import Services, zendesk_of
from bot.store.tickets import Ticket, reloaded_tickets, ticket_by_id
from bot.store.types import LARGEST_ID
from bot.zendesk.client import ZendeskNotFound
from bot.zendesk.mirror import ZendeskRead, read_tickets, store_read_in_transaction

log = logging.getLogger(__name__)


def refresh_ticket(services: Services, ticket_id: int) -> Ticket:
    """Read one ticket, its comments and its people through the API, then mirror them."""
    zendesk = zendesk_of(services)
    ticket: Ticket = zendesk.ticket_reads.get(ticket_id, lambda ids: _refresh(services, ids))
    return ticket


def _refresh(services: Services, ticket_ids: list[int]) -> dict[int, Ticket | Exception]:
    zendesk = zendesk_of(services)
    read = read_tickets(
        zendesk, services, ticket_ids, time_spent_field=services.settings.time_spent_field
    )
    found = {data.get("id") for data in read.tickets}
    # Missing from show_many: deleted, so it leaves the mirror too.
    read.tickets += [{"id": gone, "status": "deleted"} for gone in ticket_ids if gone not in found]
    written: dict[int, Ticket] = {}

    def reload(session: Session) -> None:
        written.update(reloaded_tickets(session=session, ticket_ids=set(ticket_ids)))

    # Read back in the transaction that wrote them: one session, not two.
    store_read_in_transaction(services, read, now=services.now(), also=reload)
    # The promises in the replies are noticed after: whoever waits for the ticket (a card
    # being answered) need not wait for Slack to say who wrote each reply.
    services.executor.submit(_detect_in_replies, services, read)
    return {
        ticket_id: written.get(ticket_id)
        or ZendeskNotFound(f"Zendesk says ticket {ticket_id} does not exist")
        for ticket_id in ticket_ids
    }


def _detect_in_replies(services: Services, read: ZendeskRead) -> None:
    try:
        with services.turns.taking():  # work after an answer, like a lazy listener's
            detect_in_replies(services, read)
    except Exception:  # on the work pool, nobody else would hear of it
        log.exception("could not record the promises in the replies just read")


def mirrored_or_fetched(services: Services, ticket_id: int) -> Ticket:
    """The mirrored ticket, or, when the mirror has not seen it yet, the ticket from Zendesk."""
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
    return ticket if ticket is not None else fetched(services, ticket_id)


def fetched(services: Services, ticket_id: int) -> Ticket:
    """The ticket from Zendesk, mirrored (for one the mirror was just found to lack)."""
    if not 0 < ticket_id <= LARGEST_ID:
        raise ZendeskNotFound(f"Zendesk has no ticket #{ticket_id}")
    return refresh_ticket(services, ticket_id)
