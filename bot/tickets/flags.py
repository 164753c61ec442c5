"""What a ticket is flagged for: the client sounds unhappy, or the requester is not authorised.

Both are worked out from the mirror alone: the client's last comment as kept by the sync
(whichever way it was read), and the requester's organizations and tags from Zendesk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session

from bot.blocks.models import NO_FLAGS, TicketFlags
from bot.store.reports import open_tickets_from_unauthorised
from bot.store.tickets import Ticket
from bot.store.zendesk_people import (
    AGENT_ROLES,
    ZendeskUser,
    has_tag,
    organization_names,
    users_by_ids,
)
from bot.tickets.sentiment import sounds_unhappy


def authorised(requester: ZendeskUser, ticket: Ticket, *, authorised_tag: str | None) -> bool:
    """Whether the requester may ask for changes for the ticket's client: they belong to its
    organization and, when the team uses one, carry the authorised tag. Agents always may."""
    if requester.role in AGENT_ROLES or requester.tags is None:
        return True  # our own people, or someone not read from Zendesk since this was added
    member = ticket.organization_id is not None and requester.organization_id == (
        ticket.organization_id
    )
    return member and (authorised_tag is None or has_tag(requester, authorised_tag))


def ticket_flags(
    session: Session,
    tickets: Iterable[Ticket],
    *,
    authorised_tag: str | None,
    people: Mapping[int, ZendeskUser] | None = None,
    clients: Mapping[int, str] | None = None,
) -> dict[int, TicketFlags]:
    """Each ticket's flags, by ticket id (NO_FLAGS for a ticket with none). `people`: the
    requesters, and `clients`: client names by organization id, when the caller has read
    them already."""
    tickets = list(tickets)
    refused = not_authorised(
        session, tickets, authorised_tag=authorised_tag, people=people, clients=clients
    )
    found = {}
    for ticket in tickets:
        upset = sounds_unhappy(ticket.client_comment)
        flags = TicketFlags(
            unhappy=None if upset is None else upset.phrase,
            not_authorised_for=refused.get(ticket.id),
        )
        found[ticket.id] = NO_FLAGS if flags == NO_FLAGS else flags
    return found


def not_authorised(
    session: Session,
    tickets: Iterable[Ticket],
    *,
    authorised_tag: str | None,
    people: Mapping[int, ZendeskUser] | None = None,
    clients: Mapping[int, str] | None = None,
) -> dict[int, str]:
    """The tickets whose requester is not authorised: ticket id → the client's name ("" when
    the ticket has no client organization). `people`: the requesters, and `clients`: client
    names by organization id, if read already."""
    tickets = list(tickets)
    wanted = {t.requester_id for t in tickets if t.requester_id is not None}
    requesters = (
        people
        if people is not None and wanted <= people.keys()
        else users_by_ids(session=session, user_ids=wanted)
    )
    refused = [
        ticket
        for ticket in tickets
        if (requester := requesters.get(ticket.requester_id or 0)) is not None
        and not authorised(requester, ticket, authorised_tag=authorised_tag)
    ]
    if not refused:
        return {}
    named = {t.organization_id for t in refused if t.organization_id is not None}
    if clients is None or not named <= clients.keys():
        clients = organization_names(session=session, organization_ids=named)
    found = {}
    for ticket in refused:
        found[ticket.id] = (
            ""
            if ticket.organization_id is None
            else clients.get(ticket.organization_id, f"organization {ticket.organization_id}")
        )
    return found


def open_tickets_not_authorised(
    session: Session, *, authorised_tag: str | None, since: datetime, limit: int
) -> list[tuple[Ticket, str]]:
    """Up to `limit` open tickets changed since `since` whose requester is not authorised, least
    recently changed first, each with the client's name."""
    tickets = open_tickets_from_unauthorised(
        session=session, authorised_tag=authorised_tag, since=since, limit=limit
    )
    refused = not_authorised(session, tickets, authorised_tag=authorised_tag)
    return [(ticket, refused[ticket.id]) for ticket in tickets if ticket.id in refused]
