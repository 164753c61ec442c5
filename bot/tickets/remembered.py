"""Ticket cards remembered per database, until something they show changes in any process.

A card's facts (the ticket, its people, its client, its promises) are remembered under the
TICKET_CARD watch; its last priority review under REVIEWS. A click on *Priority is right*
writes a review only, so it forgets no card's facts: the card it answers with is the facts
remembered plus the review it has just written, and a card asked for later reads that one
review again, not the whole card.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.engine import Engine

from bot.blocks.models import TicketCard
from bot.per_object import PerObject
from bot.services import Services
from bot.store.changes import REVIEWS, TICKET_CARD
from bot.store.priority_reviews import PriorityReview, last_priority_review
from bot.store.remembered import FACTS_KEPT, Remembered
from bot.store.tickets import in_mirror
from bot.tickets.card import mirrored_card


@dataclass(frozen=True)
class Facts:
    """A card as read from the mirror, and the REVIEWS count taken before reading it: while
    that count holds, the review the card was read with is still the ticket's last."""

    card: TicketCard
    reviews_read_at: int


class CardMemory:
    """One database's remembered cards: facts by ticket id, and reviews read since."""

    def __init__(self) -> None:
        self.facts: Remembered[Facts | None] = Remembered(TICKET_CARD, max_age=FACTS_KEPT)
        self.reviews: Remembered[PriorityReview | None] = Remembered(REVIEWS, max_age=FACTS_KEPT)


# A REVIEWS count no card was read at: the card's review is read again.
NO_REVIEW = -1

# Per engine: what a database holds, remembered for whoever reads that database.
_MEMORIES: PerObject[Engine, CardMemory] = PerObject(CardMemory)


def card_memory(services: Services) -> CardMemory:
    return _MEMORIES.of(services.engine)


def remembered_facts(services: Services, ticket_id: int) -> TicketCard | None:
    """The card's facts if nothing they show has changed since they were read (its review may
    be out of date: see remembered_card); None when they must be read again."""
    found = card_memory(services).facts.fresh(ticket_id, services)
    return None if found is None or found[0] is None else found[0].card


def facts_generation(services: Services) -> int:
    """The count to take before reading a card's facts to remember them (remember_facts)."""
    return TICKET_CARD.generation(services)


def remember_facts(services: Services, card: TicketCard, *, generation: int) -> None:
    """Remember a card read after the facts' count was `generation`, whose review is about to
    change (the review is read again when the card is next asked for)."""
    card_memory(services).facts.remember(card.ticket.id, Facts(card, NO_REVIEW), generation)


def remembered_card(services: Services, ticket_id: int) -> TicketCard | None:
    """The whole card from memory alone, reading nothing; None when any of it must be read."""
    found = card_memory(services).facts.fresh(ticket_id, services)
    if found is None or found[0] is None:
        return None
    return _with_review(services, found[0], read=False)


def card_from_mirror(services: Services, ticket_id: int) -> TicketCard | None:
    """The card from the mirror, asking neither Zendesk nor Slack, remembered; None when the
    mirror lacks the ticket."""

    def read() -> Facts | None:
        if not in_mirror(services.engine, ticket_id):
            return None  # the card comes from Zendesk: no transaction to find that out
        # The count first: a review committed while the card is read makes it stale.
        reviews_read_at = REVIEWS.generation(services)
        card = mirrored_card(services, ticket_id)
        return None if card is None else Facts(card, reviews_read_at)

    facts = card_memory(services).facts.get_or_read(
        ticket_id, read, keep=lambda found: found is not None, source=services
    )
    return None if facts is None else _with_review(services, facts, read=True)


def _with_review(services: Services, facts: Facts, *, read: bool) -> TicketCard | None:
    """The card with its last review: the one it was read with while the REVIEWS count holds,
    else the one remembered since, else (`read`) the one read now; None when it must be read
    and `read` is False."""
    if REVIEWS.generation(services) == facts.reviews_read_at:
        return facts.card
    reviews = card_memory(services).reviews
    ticket_id = facts.card.ticket.id
    if not read:
        found = reviews.fresh(ticket_id, services)
        return None if found is None else replace(facts.card, review=found[0])

    def read_review() -> PriorityReview | None:
        with services.session() as session:
            return last_priority_review(session=session, ticket_id=ticket_id)

    review = reviews.get_or_read(ticket_id, read_review, keep=lambda _found: True, source=services)
    return replace(facts.card, review=review)
