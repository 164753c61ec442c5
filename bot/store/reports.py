"""Read-only queries: the rotas, and reports for the handover DMs and the weekly summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from bot.store.audit import AuditEvent
from bot.store.rota import Rota
from bot.store.shortlists import in_triage_order, shortlists
from bot.store.tickets import OPEN_STATUSES, Ticket
from bot.store.zendesk_people import AGENT_ROLES, ZendeskUser, organization


def zendesk_ids_of(*, session: Session, slack_user_id: str) -> list[int]:
    query = select(ZendeskUser.id).where(col(ZendeskUser.slack_user_id) == slack_user_id)
    return list(session.exec(query))


def handover_tickets(*, session: Session, assignee_ids: list[int], limit: int = 50) -> list[Ticket]:
    """Open tickets held by these Zendesk users or by nobody, in triage order."""
    found = shortlists(
        session, in_triage_order(), limit=limit, assignees=[*assignee_ids, None], count=False
    )
    return [ticket for ticket, _ in found[None].rows] if None in found else []


def open_counts_by_priority(*, session: Session) -> dict[str | None, int]:
    query = (
        select(Ticket.priority, func.count())
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .group_by(col(Ticket.priority))
    )
    return dict(session.exec(query).all())


def open_urgent_and_high(*, session: Session, limit: int = 10) -> list[Ticket]:
    urgent_or_high = col(Ticket.priority).in_(("urgent", "high"))
    found = shortlists(session, in_triage_order(urgent_or_high), limit=limit, count=False)
    return [ticket for ticket, _ in found[None].rows] if None in found else []


def opened_between(*, session: Session, start: datetime, end: datetime) -> int:
    query = select(func.count()).where(
        col(Ticket.created_at) >= start, col(Ticket.created_at) < end
    )
    return int(session.exec(query).one())


def solved_between(*, session: Session, start: datetime, end: datetime) -> int:
    """Tickets solved or closed whose last change fell in the range (the mirror's best view)."""
    query = select(func.count()).where(
        col(Ticket.status).in_(("solved", "closed")),
        col(Ticket.updated_at) >= start,
        col(Ticket.updated_at) < end,
    )
    return int(session.exec(query).one())


def open_tickets_from_unauthorised(
    *, session: Session, authorised_tag: str | None, since: datetime, limit: int
) -> list[Ticket]:
    """Up to `limit` open tickets changed since `since` whose requester (an end user, read from
    Zendesk) is outside the ticket's organization or, when `authorised_tag` is set, lacks the
    tag; least recently changed first. bot.tickets.flags.authorised is the same rule for one
    ticket."""
    outside = or_(
        col(Ticket.organization_id).is_(None),
        col(ZendeskUser.organization_id).is_(None),
        col(ZendeskUser.organization_id) != col(Ticket.organization_id),
    )
    if authorised_tag is not None:
        untagged = ~col(ZendeskUser.tags).contains(f" {authorised_tag} ", autoescape=True)
        outside = or_(outside, untagged)
    where = and_(
        col(Ticket.updated_at) >= since,
        col(Ticket.status).in_(OPEN_STATUSES),
        col(ZendeskUser.role).not_in(AGENT_ROLES),
        col(ZendeskUser.tags).is_not(None),
        outside,
    )
    query = (
        select(Ticket)
        .join(ZendeskUser, col(ZendeskUser.id) == col(Ticket.requester_id))
        .where(where)
        .order_by(col(Ticket.updated_at), col(Ticket.id))
    )
    return list(session.exec(query.limit(limit)))


def all_rotas(*, session: Session) -> list[Rota]:
    return list(session.exec(select(Rota).order_by(col(Rota.id))))


def workspace_rota(*, session: Session) -> Rota | None:
    """The rota tickets belong to: the workspace's only rota, or its first one."""
    return session.exec(select(Rota).order_by(col(Rota.id)).limit(1)).first()


def audit_count(
    *, session: Session, scope: str, action: str, start: datetime, end: datetime
) -> int:
    query = select(func.count()).where(
        col(AuditEvent.scope) == scope,
        col(AuditEvent.action) == action,
        col(AuditEvent.at) >= start,
        col(AuditEvent.at) < end,
    )
    return int(session.exec(query).one())


def client_name(session: Session, ticket: Ticket) -> str | None:
    if ticket.organization_id is None:
        return None
    org = organization(session=session, organization_id=ticket.organization_id)
    return org.name if org is not None and org.name else None
