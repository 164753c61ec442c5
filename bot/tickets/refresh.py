"""Mirroring tickets now (a webhook, a card, a command), then noticing their promises.

Requests for tickets that arrive while a read is in flight are merged into the next read
(one show_many for up to 100 tickets), so a burst of webhooks for one ticket reads it once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlmodel import Session

from bot.blocks.models import TicketCard
from bot.per_object import PerObject
from bot.promises.detect import detect_in_replies
from bot.services import Services, zendesk_of
from bot.store.tickets import Ticket, reloaded_tickets, ticket_by_id
from bot.store.types import LARGEST_ID
from bot.tickets.card import cards_in
from bot.zendesk.client import ZendeskClient, ZendeskNotFound
from bot.zendesk.mirror import ZendeskRead, read_tickets, store_read_in_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    """A ticket just mirrored, and its card when one was asked for (read in the transaction
    that mirrored it; None when the assignee's Slack match is due a check, or when the read
    that took the ticket had already begun)."""

    ticket: Ticket
    card: TicketCard | None = None


class _CardsWanted:
    """Tickets whose next read should also read their card, per Zendesk client (its reads
    are merged: see bot.zendesk.coalesce)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    def add(self, ticket_id: int) -> None:
        with self._lock:
            self._ids.add(ticket_id)

    def take(self, ticket_ids: list[int]) -> set[int]:
        with self._lock:
            taken = self._ids.intersection(ticket_ids)
            self._ids -= taken
            return taken


_CARDS_WANTED: PerObject[ZendeskClient, _CardsWanted] = PerObject(_CardsWanted)


def refresh_ticket(services: Services, ticket_id: int) -> Ticket:
    """Read one ticket, its comments and its people through the API, then mirror them."""
    return _refreshed(services, ticket_id).ticket


def _refreshed(services: Services, ticket_id: int, *, card: bool = False) -> Refreshed:
    zendesk = zendesk_of(services)
    if card:
        _CARDS_WANTED.of(zendesk).add(ticket_id)
    refreshed: Refreshed = zendesk.ticket_reads.get(ticket_id, lambda ids: _refresh(services, ids))
    return refreshed


def _refresh(services: Services, ticket_ids: list[int]) -> dict[int, Refreshed | Exception]:
    zendesk = zendesk_of(services)
    cards_for = _CARDS_WANTED.of(zendesk).take(ticket_ids)
    read = read_tickets(
        zendesk, services, ticket_ids, time_spent_field=services.settings.time_spent_field
    )
    found = {data.get("id") for data in read.tickets}
    # Missing from show_many: deleted, so it leaves the mirror too.
    read.tickets += [{"id": gone, "status": "deleted"} for gone in ticket_ids if gone not in found]
    written: dict[int, Ticket] = {}
    cards: dict[int, TicketCard | None] = {}

    def reload(session: Session) -> None:
        written.update(reloaded_tickets(session=session, ticket_ids=set(ticket_ids)))
        wanted = [written[ticket_id] for ticket_id in sorted(cards_for & written.keys())]
        if not wanted:
            return
        try:
            with session.begin_nested():
                cards.update(cards_in(services, session, wanted))
        except Exception:  # the mirror's write stands; the callers read the cards themselves
            log.exception(
                "could not read the cards of tickets %s with their write", [t.id for t in wanted]
            )

    # Read back in the transaction that wrote them: one session, not two.
    store_read_in_transaction(services, read, now=services.now(), also=reload)
    # The promises in the replies are noticed after: whoever waits for the ticket (a card
    # being answered) need not wait for Slack to say who wrote each reply.
    services.background.submit(_detect_in_replies, services, read)
    return {
        ticket_id: Refreshed(written[ticket_id], cards.get(ticket_id))
        if ticket_id in written
        else ZendeskNotFound(f"Zendesk says ticket {ticket_id} does not exist")
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
    return fetched_for_card(services, ticket_id, card=False).ticket


def fetched_for_card(services: Services, ticket_id: int, *, card: bool = True) -> Refreshed:
    """`fetched`, with the ticket's card read in the transaction that mirrors it (`card`)."""
    if not 0 < ticket_id <= LARGEST_ID:
        raise ZendeskNotFound(f"Zendesk has no ticket #{ticket_id}")
    return _refreshed(services, ticket_id, card=card)
