"""The Zendesk mirror: tickets, users, organizations, the sync cursor, and priority reviews."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.db import utcnow
from bot.store.types import UTCDateTime

# The working set: a solved or closed ticket keeps its row but leaves every digest.
OPEN_STATUSES = ("new", "open", "pending", "hold")
AGENT_ROLES = ("agent", "admin")
# Who a review is by when it was a priority change in Zendesk by an agent we can't name.
ZENDESK_REVIEWER = "zendesk"
# A person's Slack account is looked up again after this long (they may have joined since).
SLACK_MATCH_TTL = timedelta(hours=24)


def _zendesk_id(*, index: bool = False) -> int | None:
    """A Zendesk record id: 64-bit, given by Zendesk, never generated here."""
    return Field(default=None, sa_type=BigInteger, index=index)


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    subject: str = Field(default="", sa_type=Text)
    status: str = Field(max_length=16, index=True)
    priority: str | None = Field(default=None, max_length=16)
    # What the priority was before the last change we saw, for the priority-review rules.
    previous_priority: str | None = Field(default=None, max_length=16)
    requester_id: int | None = _zendesk_id()
    assignee_id: int | None = _zendesk_id(index=True)
    organization_id: int | None = _zendesk_id(index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_agent_public_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_agent_public_reply_by: int | None = _zendesk_id()
    last_requester_comment_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The newest comment read; 0 when read and there were none; None when not read since
    # the ticket last changed (the next sync reads them).
    last_comment_id: int | None = _zendesk_id()
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ZendeskUser(SQLModel, table=True):
    __tablename__ = "zendesk_user"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str = Field(default="", max_length=255)
    email: str | None = Field(default=None, max_length=255)
    role: str = Field(default="end-user", max_length=16)
    slack_user_id: str | None = Field(default=None, max_length=64)
    slack_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ZendeskOrganization(SQLModel, table=True):
    __tablename__ = "zendesk_organization"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str = Field(default="", max_length=255)


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    name: str = Field(primary_key=True, max_length=64)
    cursor: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)


class PriorityReview(SQLModel, table=True):
    __tablename__ = "priority_review"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    reviewed_by: str = Field(max_length=64)
    reviewed_at: datetime = Field(sa_type=UTCDateTime)
    priority_set: str | None = Field(default=None, max_length=16)
    # card | digest | zendesk
    source: str = Field(max_length=16)


# --- tickets ------------------------------------------------------------------------------


def ticket_by_id(*, session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def tickets_by_ids(*, session: Session, ticket_ids: list[int]) -> dict[int, Ticket]:
    if not ticket_ids:
        return {}
    found = session.exec(select(Ticket).where(col(Ticket.id).in_(ticket_ids)))
    return {ticket.id: ticket for ticket in found}


def open_tickets(*, session: Session) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.updated_at), col(Ticket.id))
    )
    return list(session.exec(query))


def save_ticket(*, session: Session, ticket: Ticket) -> None:
    session.add(ticket)


# --- people and organizations -------------------------------------------------------------


def zendesk_user(*, session: Session, user_id: int) -> ZendeskUser | None:
    return session.get(ZendeskUser, user_id)


def known_user_ids(*, session: Session, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(session.exec(select(ZendeskUser.id).where(col(ZendeskUser.id).in_(user_ids))))


def user_roles(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(
        select(ZendeskUser.id, ZendeskUser.role).where(col(ZendeskUser.id).in_(user_ids))
    )
    return dict(rows.all())


def upsert_zendesk_user(
    *, session: Session, user_id: int, name: str, email: str | None, role: str
) -> ZendeskUser:
    user = session.get(ZendeskUser, user_id) or ZendeskUser(id=user_id)
    if user.email is not None and user.email != email:
        # A new address may belong to another Slack account: look it up again.
        user.slack_checked_at = None
        user.slack_user_id = None
    user.name, user.email, user.role = name, email, role
    session.add(user)
    return user


def known_organization_ids(*, session: Session, organization_ids: set[int]) -> set[int]:
    if not organization_ids:
        return set()
    query = select(ZendeskOrganization.id).where(col(ZendeskOrganization.id).in_(organization_ids))
    return set(session.exec(query))


def organization_names(*, session: Session) -> dict[int, str]:
    """Every client organization's name, by id (a support desk has hundreds, not millions)."""
    query = select(ZendeskOrganization.id, ZendeskOrganization.name)
    return {org_id: name for org_id, name in session.exec(query).all() if name}


def organization(*, session: Session, organization_id: int) -> ZendeskOrganization | None:
    return session.get(ZendeskOrganization, organization_id)


def upsert_organization(
    *, session: Session, organization_id: int, name: str
) -> ZendeskOrganization:
    org = session.get(ZendeskOrganization, organization_id) or ZendeskOrganization(
        id=organization_id
    )
    org.name = name
    session.add(org)
    return org


def slack_user_for_zendesk_user(*, session: Session, zendesk_user_id: int) -> str | None:
    """The Slack user matched by email, as last looked up (None: no match or not yet)."""
    user = session.get(ZendeskUser, zendesk_user_id)
    return None if user is None else user.slack_user_id


def slack_match_is_fresh(user: ZendeskUser, *, now: datetime) -> bool:
    return user.slack_checked_at is not None and now - user.slack_checked_at < SLACK_MATCH_TTL


def remember_slack_match(
    *, session: Session, zendesk_user_id: int, slack_user_id: str | None, now: datetime
) -> None:
    user = session.get(ZendeskUser, zendesk_user_id)
    if user is None:
        return
    user.slack_user_id = slack_user_id
    user.slack_checked_at = now
    session.add(user)


def agents(*, session: Session) -> list[ZendeskUser]:
    query = (
        select(ZendeskUser)
        .where(col(ZendeskUser.role).in_(AGENT_ROLES))
        .order_by(col(ZendeskUser.name), col(ZendeskUser.id))
    )
    return list(session.exec(query))


# --- the sync cursor ----------------------------------------------------------------------


def sync_state(*, session: Session, name: str) -> SyncState | None:
    return session.get(SyncState, name)


def save_sync_cursor(*, session: Session, name: str, cursor: str, now: datetime) -> None:
    state = session.get(SyncState, name) or SyncState(name=name)
    state.cursor = cursor
    state.updated_at = now
    state.last_error = None
    session.add(state)


def record_sync_error(*, session: Session, name: str, error: str, now: datetime) -> None:
    state = session.get(SyncState, name) or SyncState(name=name)
    state.last_error = error[:1000]
    state.updated_at = now
    session.add(state)


# --- priority reviews ---------------------------------------------------------------------


def record_priority_review(
    *,
    session: Session,
    ticket_id: int,
    reviewed_by: str,
    reviewed_at: datetime,
    source: str,
    priority_set: str | None = None,
) -> PriorityReview:
    review = PriorityReview(
        ticket_id=ticket_id,
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
        priority_set=priority_set,
        source=source,
    )
    session.add(review)
    return review


def latest_reviews_of_open_tickets(*, session: Session) -> dict[int, PriorityReview]:
    """Each open ticket's latest priority review, in one query."""
    open_ids = select(Ticket.id).where(col(Ticket.status).in_(OPEN_STATUSES))
    query = (
        select(PriorityReview)
        .where(col(PriorityReview.ticket_id).in_(open_ids.scalar_subquery()))
        .order_by(col(PriorityReview.reviewed_at), col(PriorityReview.id))
    )
    return {review.ticket_id: review for review in session.exec(query)}


def last_priority_review(*, session: Session, ticket_id: int) -> PriorityReview | None:
    query = (
        select(PriorityReview)
        .where(PriorityReview.ticket_id == ticket_id)
        .order_by(col(PriorityReview.reviewed_at).desc(), col(PriorityReview.id).desc())
        .limit(1)
    )
    return session.exec(query).first()
