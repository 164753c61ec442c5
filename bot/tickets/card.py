"""The /ticket card, built from the mirror."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from bot.agents import slack_user_for
from bot.blocks.models import TicketCard
from bot.services import Services, zendesk_of
from bot.store.priority_reviews import last_priority_reviews
from bot.store.promises import Promise, open_promises_on_tickets
from bot.store.tickets import Ticket, ticket_by_id
from bot.store.zendesk_people import (
    ZendeskUser,
    organization_names,
    slack_match_due,
    slack_match_is_fresh,
    users_by_ids,
)
from bot.tickets.flags import ticket_flags


def ticket_card(services: Services, ticket: Ticket) -> TicketCard:
    """The card's facts from the mirror, the assignee's Slack match checked when a day old
    (asking Slack outside the transaction; a fresh match needs no second one)."""
    with services.session() as session:
        card = card_in(services, session, ticket)
    if card is not None:
        return card
    assert ticket.assignee_id is not None
    slack_user_for(services, ticket.assignee_id)
    with services.session() as session:
        return _card(services, session, ticket)


def card_in(services: Services, session: Session, ticket: Ticket) -> TicketCard | None:
    """The card read in a session already open; None when the assignee's Slack match is due
    a check, which `ticket_card` makes outside any transaction."""
    return cards_in(services, session, [ticket])[ticket.id]


def cards_in(
    services: Services, session: Session, tickets: Sequence[Ticket]
) -> dict[int, TicketCard | None]:
    """`card_in` for each of these tickets, by ticket id, with one query of each kind for
    them all (a merged read of a burst of tickets shows all their cards)."""
    people = users_by_ids(
        session=session, user_ids={i for ticket in tickets for i in _people_ids(ticket)}
    )
    now = services.now()
    fresh = [
        ticket
        for ticket in tickets
        if (assignee := people.get(ticket.assignee_id or 0)) is None
        or slack_match_is_fresh(assignee, now=now)
    ]
    found: dict[int, TicketCard | None] = {ticket.id: None for ticket in tickets}
    found.update(_cards(services, session, fresh, people))
    return found


def mirrored_card(services: Services, ticket_id: int) -> TicketCard | None:
    """The card from the mirror alone, asking neither Zendesk nor Slack (None: the mirror
    lacks the ticket). Its assignee's Slack match may be due a check: see ticket_card."""
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
        if ticket is None:
            return None
        return _card(services, session, ticket)


def _people_ids(ticket: Ticket) -> set[int]:
    ids = {ticket.requester_id, ticket.assignee_id, ticket.last_agent_public_reply_by}
    return {i for i in ids if i is not None}


def _card(services: Services, session: Session, ticket: Ticket) -> TicketCard:
    """One ticket's card, its Slack match as it is (fresh or not)."""
    people = users_by_ids(session=session, user_ids=_people_ids(ticket))
    return _cards(services, session, [ticket], people)[ticket.id]


def _cards(
    services: Services,
    session: Session,
    tickets: Sequence[Ticket],
    people: Mapping[int, ZendeskUser],
) -> dict[int, TicketCard]:
    """These tickets' cards, by ticket id; `people`: everyone they name, read already."""
    if not tickets:
        return {}
    ids = [ticket.id for ticket in tickets]
    # The client's name only (an empty name shows as none).
    clients = organization_names(
        session=session,
        organization_ids={t.organization_id for t in tickets if t.organization_id is not None},
    )
    reviews = last_priority_reviews(session=session, ticket_ids=ids)
    promises: dict[int, list[Promise]] = {ticket_id: [] for ticket_id in ids}
    for promise in open_promises_on_tickets(session=session, ticket_ids=ids):
        promises[promise.ticket_id].append(promise)
    flags = ticket_flags(
        session,
        tickets,
        authorised_tag=services.settings.authorised_tag,
        people=people,
        clients=clients,
    )
    zendesk = zendesk_of(services)

    def name(user_id: int | None) -> str | None:
        user = people.get(user_id or 0)
        return None if user is None else user.name or user.email

    found = {}
    for ticket in tickets:
        assignee = people.get(ticket.assignee_id or 0)
        found[ticket.id] = TicketCard(
            ticket=ticket,
            url=zendesk.ticket_url(ticket.id),
            client=clients.get(ticket.organization_id or 0),
            requester=name(ticket.requester_id),
            assignee=name(ticket.assignee_id),
            assignee_slack_id=None if assignee is None else assignee.slack_user_id,
            last_reply_by=name(ticket.last_agent_public_reply_by),
            review=reviews.get(ticket.id),
            promises=promises[ticket.id],
            assignee_match_due=None if assignee is None else slack_match_due(assignee),
            flags=flags[ticket.id],
        )
    return found
