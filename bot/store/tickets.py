"""The Zendesk mirror: tickets, users, organizations, the sync cursor, and priority reviews."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Table,
    Text,
    bindparam,
    insert,
    text,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from bot.priorities import PRIORITIES
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


# The indexes the nudge lists walk in order, so a digest reads its first lines without
# sorting (or even reading) every open ticket. Databases use a partial or expression index
# only for a query that spells the same SQL, so queries take these texts from here.
OPEN_SQL = "status IN ('new', 'open', 'pending', 'hold')"
TRIAGE_RANK_SQL = (
    "CASE priority "
    + " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(PRIORITIES))
    + f" ELSE {len(PRIORITIES)} END"
)
UNANSWERED_SINCE_SQL = "coalesce(last_agent_public_reply_at, created_at)"


def _open_index(name: str, *expressions: Any) -> Index:
    where = text(OPEN_SQL)
    return Index(name, *expressions, sqlite_where=where, postgresql_where=where)


_open_index(
    "ix_ticket_open_triage",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    text(f"({TRIAGE_RANK_SQL})"),
    Ticket.__table__.c.created_at,  # type: ignore[attr-defined]
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
_open_index(
    "ix_ticket_open_client_wrote",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    Ticket.__table__.c.last_requester_comment_at,  # type: ignore[attr-defined]
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
_open_index(
    "ix_ticket_open_unanswered",
    Ticket.__table__.c.assignee_id,  # type: ignore[attr-defined]
    text(UNANSWERED_SINCE_SQL),
    Ticket.__table__.c.id,  # type: ignore[attr-defined]
)
Index(
    "ix_ticket_status_priority",
    Ticket.__table__.c.status,  # type: ignore[attr-defined]
    Ticket.__table__.c.priority,  # type: ignore[attr-defined]
)
Index("ix_ticket_created_at", Ticket.__table__.c.created_at)  # type: ignore[attr-defined]
Index(
    "ix_priority_review_latest",
    PriorityReview.__table__.c.ticket_id,  # type: ignore[attr-defined]
    PriorityReview.__table__.c.reviewed_at,  # type: ignore[attr-defined]
)


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


def users_by_ids(*, session: Session, user_ids: set[int]) -> dict[int, ZendeskUser]:
    if not user_ids:
        return {}
    found = session.exec(select(ZendeskUser).where(col(ZendeskUser.id).in_(user_ids)))
    return {user.id: user for user in found}


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
    return now < slack_match_due(user)


def slack_match_due(user: ZendeskUser) -> datetime:
    """When the user's Slack match is next looked up (at once when it never was)."""
    if user.slack_checked_at is None:
        return datetime.min.replace(tzinfo=UTC)
    return user.slack_checked_at + SLACK_MATCH_TTL


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


def last_priority_review(*, session: Session, ticket_id: int) -> PriorityReview | None:
    query = (
        select(PriorityReview)
        .where(PriorityReview.ticket_id == ticket_id)
        .order_by(col(PriorityReview.reviewed_at).desc(), col(PriorityReview.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


# --- the sync's bulk writes ---------------------------------------------------------------
# A sync page holds up to a thousand tickets and their people: these read and write them as
# rows, a few statements a page, where the ORM would load, compare and flush each in turn.

Row = dict[str, Any]
# A user whose address changed may now be someone else in Slack: their match is looked up again.
_FORGOTTEN_MATCH: Row = {"slack_user_id": None, "slack_checked_at": None}


class CommentState(NamedTuple):
    """What decides whether a mirrored ticket's comments need reading again."""

    updated_at: datetime
    last_comment_id: int | None


def comment_states(*, session: Session, ticket_ids: Collection[int]) -> dict[int, CommentState]:
    if not ticket_ids:
        return {}
    query = select(Ticket.id, Ticket.updated_at, Ticket.last_comment_id).where(
        col(Ticket.id).in_(ticket_ids)
    )
    return {
        ticket_id: CommentState(updated_at, last_comment_id)
        for ticket_id, updated_at, last_comment_id in session.exec(query)
    }


def ticket_rows(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Row]:
    """The mirrored tickets among these, each as a dict of its columns."""
    if not ticket_ids:
        return {}
    tickets = _table(Ticket)
    query = sa_select(tickets).where(tickets.c.id.in_(ticket_ids))
    return {row.id: dict(row._mapping) for row in session.connection().execute(query)}


def reloaded_tickets(*, session: Session, ticket_ids: Collection[int]) -> dict[int, Ticket]:
    """The tickets as written, even those the session loaded before they were written as rows."""
    if not ticket_ids:
        return {}
    query = (
        select(Ticket)
        .where(col(Ticket.id).in_(ticket_ids))
        .execution_options(populate_existing=True)
    )
    return {ticket.id: ticket for ticket in session.exec(query)}


def write_ticket_rows(
    *, session: Session, rows: Collection[Row], mirrored: Collection[int]
) -> None:
    """Insert the new tickets and update the `mirrored` ones; every row has every column."""
    tickets = _table(Ticket)
    _insert(session, tickets, [row for row in rows if row["id"] not in mirrored])
    _update_by_id(session, tickets, [row for row in rows if row["id"] in mirrored])


def upsert_zendesk_users(*, session: Session, users: Sequence[Row]) -> None:
    """`upsert_zendesk_user` for each {id, name, email, role} in turn, in a few statements."""
    if not users:
        return
    query = select(ZendeskUser.id, ZendeskUser.name, ZendeskUser.email, ZendeskUser.role).where(
        col(ZendeskUser.id).in_({user["id"] for user in users})
    )
    known = {
        user_id: {"id": user_id, "name": name, "email": email, "role": role}
        for user_id, name, email, role in session.exec(query)
    }
    latest: dict[int, Row] = {}
    forget: set[int] = set()
    for user in users:
        row = {key: user[key] for key in ("id", "name", "email", "role")}
        before = latest.get(row["id"]) or known.get(row["id"])
        if before is not None and before["email"] is not None and before["email"] != row["email"]:
            forget.add(row["id"])
        latest[row["id"]] = row
    table = _table(ZendeskUser)
    _insert(session, table, [row for user_id, row in latest.items() if user_id not in known])
    changed = [
        row
        for user_id, row in latest.items()
        if user_id in known and (row != known[user_id] or user_id in forget)
    ]
    _update_by_id(session, table, [row for row in changed if row["id"] not in forget])
    _update_by_id(
        session, table, [row | _FORGOTTEN_MATCH for row in changed if row["id"] in forget]
    )


def upsert_organizations(*, session: Session, organizations: Sequence[Row]) -> None:
    """`upsert_organization` for each {id, name} in turn, in a few statements."""
    if not organizations:
        return
    latest = {org["id"]: org["name"] for org in organizations}
    query = select(ZendeskOrganization.id, ZendeskOrganization.name).where(
        col(ZendeskOrganization.id).in_(latest)
    )
    known = dict(session.exec(query).all())
    rows = [{"id": org_id, "name": name} for org_id, name in latest.items()]
    table = _table(ZendeskOrganization)
    _insert(session, table, [row for row in rows if row["id"] not in known])
    _update_by_id(
        session,
        table,
        [row for row in rows if row["id"] in known and known[row["id"]] != row["name"]],
    )


def record_priority_reviews(*, session: Session, reviews: Sequence[Row]) -> None:
    """`record_priority_review` for each of these rows, in order, in one statement."""
    _insert(session, _table(PriorityReview), reviews)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def _insert(session: Session, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        session.exec(insert(table), params=rows)


def _update_by_id(session: Session, table: Table, rows: Sequence[Row]) -> None:
    """One UPDATE per row, by its id, sent as one batch; every row sets the same columns."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id", type_=table.c.id.type))
        .values({name: bindparam(f"row_{name}", type_=table.c[name].type) for name in names})
    )
    params = [{f"row_{name}": value for name, value in row.items()} for row in rows]
    session.exec(statement, params=params)
