"""Zendesk people and organizations, as mirrored, and each person's Slack match."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Text, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from bot.per_object import PerObject
from bot.store.bulk_writes import Row, insert_rows, table_of, update_rows_by_id
from bot.store.types import UTCDateTime

AGENT_ROLES = ("agent", "admin")
# A person's Slack account is looked up again after this long (they may have joined since).
SLACK_MATCH_TTL = timedelta(hours=24)


class ZendeskUser(SQLModel, table=True):
    __tablename__ = "zendesk_user"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str = Field(default="", max_length=255)
    email: str | None = Field(default=None, max_length=255)
    role: str = Field(default="end-user", max_length=16)
    # Their (default) client organization, and their Zendesk tags as " tag1 tag2 " so that SQL
    # can look for one with LIKE; tags None: not read from Zendesk since these were added.
    organization_id: int | None = Field(default=None, sa_type=BigInteger)
    tags: str | None = Field(default=None, sa_type=Text)
    slack_user_id: str | None = Field(default=None, max_length=64)
    slack_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ZendeskOrganization(SQLModel, table=True):
    __tablename__ = "zendesk_organization"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str = Field(default="", max_length=255)


# --- people and organizations -------------------------------------------------------------

# Built once (see bot.store.statements): cards, flags and the mirror's writes read these.
_USERS = ZendeskUser.__table__  # type: ignore[attr-defined]
_ORGANIZATIONS = ZendeskOrganization.__table__  # type: ignore[attr-defined]
_USERS_BY_IDS = select(ZendeskUser).where(
    col(ZendeskUser.id).in_(bindparam("user_ids", expanding=True))
)
_KNOWN_USERS = sa_select(_USERS.c.id).where(_USERS.c.id.in_(bindparam("user_ids", expanding=True)))
_USER_ROLES = sa_select(_USERS.c.id, _USERS.c.role).where(
    _USERS.c.id.in_(bindparam("user_ids", expanding=True))
)
_ORGANIZATION = select(ZendeskOrganization).where(
    ZendeskOrganization.id == bindparam("organization_id")
)
_KNOWN_ORGANIZATIONS = sa_select(_ORGANIZATIONS.c.id).where(
    _ORGANIZATIONS.c.id.in_(bindparam("organization_ids", expanding=True))
)
_ORGANIZATION_NAMES = sa_select(_ORGANIZATIONS.c.id, _ORGANIZATIONS.c.name).where(
    _ORGANIZATIONS.c.id.in_(bindparam("organization_ids", expanding=True))
)


def zendesk_user(*, session: Session, user_id: int) -> ZendeskUser | None:
    return session.get(ZendeskUser, user_id)


def users_by_ids(*, session: Session, user_ids: set[int]) -> dict[int, ZendeskUser]:
    if not user_ids:
        return {}
    found = session.exec(_USERS_BY_IDS, params={"user_ids": sorted(user_ids)})
    return {user.id: user for user in found}


class SeenInMirror:
    """Ids of Zendesk people and organizations this process has read from one database.

    Rotabot never deletes either from the mirror, so an id seen once stays true for every
    process: a check needs the database only for ids not seen yet. Bounded: past LIMIT ids
    of a kind, that kind starts over.
    """

    LIMIT = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: set[int] = set()
        self._organizations: set[int] = set()

    def unseen(self, user_ids: set[int], organization_ids: set[int]) -> tuple[set[int], set[int]]:
        with self._lock:
            return user_ids - self._users, organization_ids - self._organizations

    def saw(self, user_ids: set[int], organization_ids: set[int]) -> None:
        with self._lock:
            for seen, ids in ((self._users, user_ids), (self._organizations, organization_ids)):
                if len(seen) + len(ids) > self.LIMIT:
                    seen.clear()
                seen.update(ids)


_SEEN: PerObject[Engine, SeenInMirror] = PerObject(SeenInMirror)


def seen_in_mirror(engine: Engine) -> SeenInMirror:
    """The ids this process has seen in this engine's mirror."""
    return _SEEN.of(engine)


def known_user_ids(*, session: Session, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(session.execute(_KNOWN_USERS, {"user_ids": sorted(user_ids)}).scalars())


def user_roles(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(_USER_ROLES, {"user_ids": sorted(user_ids)})
    return dict(rows.all())  # rows are pairs


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


def tag_list(tags: list[str]) -> str:
    """Zendesk tags (no spaces in any) as the `tags` column keeps them."""
    return " " + " ".join(tags) + " " if tags else " "


def has_tag(user: ZendeskUser, tag: str) -> bool:
    return user.tags is not None and f" {tag} " in user.tags


def known_organization_ids(*, session: Session, organization_ids: set[int]) -> set[int]:
    if not organization_ids:
        return set()
    found = session.execute(_KNOWN_ORGANIZATIONS, {"organization_ids": sorted(organization_ids)})
    return set(found.scalars())


def organization_names(
    *, session: Session, organization_ids: Collection[int] | None = None
) -> dict[int, str]:
    """Client organizations' names, by id: these (None: every one; a support desk has
    hundreds, not millions)."""
    if organization_ids is None:
        rows = session.execute(sa_select(_ORGANIZATIONS.c.id, _ORGANIZATIONS.c.name))
    elif not organization_ids:
        return {}
    else:
        rows = session.execute(_ORGANIZATION_NAMES, {"organization_ids": sorted(organization_ids)})
    return {org_id: name for org_id, name in rows if name}


def organization(*, session: Session, organization_id: int) -> ZendeskOrganization | None:
    return session.exec(_ORGANIZATION, params={"organization_id": organization_id}).first()


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


# --- the sync's bulk writes ---------------------------------------------------------------
# A sync page brings up to a thousand tickets' people and organizations at once.

_USER_COLUMNS = ("id", "name", "email", "role", "organization_id", "tags")
# A user whose address changed may now be someone else in Slack: their match is looked up again.
_FORGOTTEN_MATCH: Row = {"slack_user_id": None, "slack_checked_at": None}


def upsert_zendesk_users(*, session: Session, users: Sequence[Row]) -> None:
    """`upsert_zendesk_user` for each {id, name, email, role, organization_id, tags} in turn,
    in a few statements."""
    if not users:
        return
    table = table_of(ZendeskUser)
    query = sa_select(*(table.c[name] for name in _USER_COLUMNS)).where(
        table.c.id.in_({user["id"] for user in users})
    )
    known: dict[int, Row] = {
        row.id: dict(row._mapping) for row in session.connection().execute(query)
    }
    latest: dict[int, Row] = {}
    forget: set[int] = set()
    for user in users:
        user_id = int(user["id"])
        row = {key: user.get(key) for key in _USER_COLUMNS}
        before = latest.get(user_id) or known.get(user_id)
        if before is not None and before["email"] is not None and before["email"] != row["email"]:
            forget.add(user_id)
        latest[user_id] = row
    insert_rows(session, table, [row for user_id, row in latest.items() if user_id not in known])
    changed = [
        row
        for user_id, row in latest.items()
        if user_id in known and (row != known[user_id] or user_id in forget)
    ]
    update_rows_by_id(session, table, [row for row in changed if row["id"] not in forget])
    update_rows_by_id(
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
    table = table_of(ZendeskOrganization)
    insert_rows(session, table, [row for row in rows if row["id"] not in known])
    update_rows_by_id(
        session,
        table,
        [row for row in rows if row["id"] in known and known[row["id"]] != row["name"]],
    )
