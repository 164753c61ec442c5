"""The /ticket card, built from the mirror."""

from __future__ import annotations

from sqlmodel import Session

from bot.agents import slack_user_for
from bot.blocks.models import TicketCard
from bot.services import Services, zendesk_of
from bot.store.priority_reviews import last_priority_review
from bot.store.promises import open_promises_on_tickets
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
        return _card(services, session, ticket, _people_of(session, ticket))


def card_in(services: Services, session: Session, ticket: Ticket) -> TicketCard | None:
    """The card read in a session already open; None when the assignee's Slack match is due
    a check, which `ticket_card` makes outside any transaction."""
    people = _people_of(session, ticket)
    assignee = people.get(ticket.assignee_id or 0)
    if assignee is None or slack_match_is_fresh(assignee, now=services.now()):
        return _card(services, session, ticket, people)
    return None


def mirrored_card(services: Services, ticket_id: int) -> TicketCard | None:
    """The card from the mirror alone, asking neither Zendesk nor Slack (None: the mirror
    lacks the ticket). Its assignee's Slack match may be due a check: see ticket_card."""
    with services.session() as session:
        ticket = ticket_by_id(session=session, ticket_id=ticket_id)
        if ticket is None:
            return None
        return _card(services, session, ticket, _people_of(session, ticket))


def _people_of(session: Session, ticket: Ticket) -> dict[int, ZendeskUser]:
    ids = {ticket.requester_id, ticket.assignee_id, ticket.last_agent_public_reply_by}
    return users_by_ids(session=session, user_ids={i for i in ids if i is not None})


def _card(
    services: Services, session: Session, ticket: Ticket, people: dict[int, ZendeskUser]
) -> TicketCard:
    def name(user_id: int | None) -> str | None:
        user = people.get(user_id or 0)
        return None if user is None else user.name or user.email

    # The client's name only (an empty name shows as none).
    clients = (
        {}
        if ticket.organization_id is None
        else organization_names(session=session, organization_ids=[ticket.organization_id])
    )
    client = clients.get(ticket.organization_id or 0)
    assignee = people.get(ticket.assignee_id or 0)
    return TicketCard(
        ticket=ticket,
        url=zendesk_of(services).ticket_url(ticket.id),
        client=client,
        requester=name(ticket.requester_id),
        assignee=name(ticket.assignee_id),
        assignee_slack_id=None if assignee is None else assignee.slack_user_id,
        last_reply_by=name(ticket.last_agent_public_reply_by),
        review=last_priority_review(session=session, ticket_id=ticket.id),
        promises=open_promises_on_tickets(session=session, ticket_ids=[ticket.id]),
        assignee_match_due=None if assignee is None else slack_match_due(assignee),
        flags=ticket_flags(
            session,
            [ticket],
            authorised_tag=services.settings.authorised_tag,
            people=people,
            clients=clients,
        )[ticket.id],
    )
