"""Priority actions on a ticket: confirming it is right, or changing it in Zendesk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot.priorities import PRIORITIES
from bot.services import Services, zendesk_of
from bot.store.priority_reviews import record_priority_review
from bot.store.tickets import Ticket, ticket_by_id
from bot.tickets.refresh import mirrored_or_fetched
from bot.zendesk.mirror import ZendeskRead, store_read


def confirm_priority(
    services: Services,
    ticket_id: int,
    *,
    slack_user: str,
    source: str = "card",
    also: Callable[[Session, Ticket], None] | None = None,
) -> Ticket:
    """*Priority is right*: record the review; the ticket must be one Rotabot can see.

    A mirrored ticket is read and its review written in one transaction; `also` is more to
    do with the ticket in it (reading the card that shows the review)."""
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
        if ticket is not None:
            _reviewed(session, ticket_id, slack_user, services.now(), source)
            if also is not None:
                also(session, ticket)
            return ticket
    ticket = mirrored_or_fetched(services, ticket_id)
    with services.session() as session:
        _reviewed(session, ticket_id, slack_user, services.now(), source)
        if also is not None:
            also(session, ticket)
    return ticket


def _reviewed(
    session: Session, ticket_id: int, slack_user: str, now: datetime, source: str
) -> None:
    record_priority_review(
        session=session, ticket_id=ticket_id, reviewed_by=slack_user, reviewed_at=now, source=source
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
