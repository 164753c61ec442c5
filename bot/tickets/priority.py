"""Priority actions on a ticket: confirming it is right, or changing it in Zendesk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.priorities import PRIORITIES
from bot.services import Services, zendesk_of
from bot.store.priority_reviews import (
    PriorityReview,
    record_priority_review,
    write_priority_review,
)
from bot.store.tickets import Ticket, ticket_by_id
from bot.tickets.refresh import mirrored_or_fetched
from bot.zendesk.mirror import ZendeskRead, store_read


@dataclass(frozen=True)
class Confirmed:
    """A ticket whose priority was confirmed, and the review that says so."""

    ticket: Ticket
    review: PriorityReview


def confirm_priority(
    services: Services,
    ticket_id: int,
    *,
    slack_user: str,
    source: str = "card",
    also: Callable[[Session, Ticket], None] | None = None,
) -> Confirmed:
    """*Priority is right*: record the review; the ticket must be one Rotabot can see.

    A mirrored ticket is read and its review written in one transaction; `also` is what else
    to read about the ticket in it (the card that will show the review), before the review is
    written: the write comes last, so SQLite's write lock is held only to commit, and a read
    that fails leaves nothing recorded."""
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
        if ticket is not None:
            if also is not None:
                also(session, ticket)
            return Confirmed(ticket, _reviewed(session, ticket_id, slack_user, services, source))
    ticket = mirrored_or_fetched(services, ticket_id)
    with services.session() as session:
        if also is not None:
            also(session, ticket)
        return Confirmed(ticket, _reviewed(session, ticket_id, slack_user, services, source))


def confirm_seen(
    services: Services, ticket_id: int, *, slack_user: str, source: str = "card"
) -> PriorityReview:
    """*Priority is right* on a ticket whose card is remembered from the mirror, unchanged
    since in any process (bot.tickets.remembered): the review is written, nothing read, and
    with no session (a session's events cost more than the one insert)."""
    review = PriorityReview(
        ticket_id=ticket_id, reviewed_by=slack_user, reviewed_at=services.now(), source=source
    )
    with services.turns.turn():
        return write_priority_review(services.engine, review)


def _reviewed(
    session: Session, ticket_id: int, slack_user: str, services: Services, source: str
) -> PriorityReview:
    return record_priority_review(
        session=session,
        ticket_id=ticket_id,
        reviewed_by=slack_user,
        reviewed_at=services.now(),
        source=source,
    )


def change_priority(
    services: Services, ticket_id: int, priority: str, *, slack_user: str, source: str = "card"
) -> Ticket:
    """Set the priority in Zendesk; only once Zendesk accepted it, mirror it and record it."""
    if priority not in PRIORITIES:
        raise ValueError(f"not a Zendesk priority: {priority!r}")
    zendesk = zendesk_of(services)
    data = zendesk.update_ticket(ticket_id, {"priority": priority})
    now = services.now()
    with services.session() as session:
        (ticket,) = store_read(
            session=session, read=ZendeskRead(tickets=[data]), now=now, ours=True
        )
        record_priority_review(
            session=session,
            ticket_id=ticket_id,
            reviewed_by=slack_user,
            reviewed_at=now,
            source=source,
            priority_set=priority,
        )
    return ticket
