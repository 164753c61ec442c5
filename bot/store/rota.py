"""The support rota's tables: rotas, members, published weeks, absences, leads, swap requests
(whose queries are in bot.store.rota_swaps)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from functools import cache

from sqlalchemy import UniqueConstraint, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, func, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.store.db import utcnow
from bot.store.statements import inserted
from bot.store.types import UTCDateTime

# RotaWeek.kind
PLANNED = "planned"
SWAPPED = "swapped"
COVER = "cover"  # the person covers `partner`'s week while they are away
COVER_RETURN = "cover_return"  # the absent `partner`'s covering person gave this week back

# SwapRequest.status
PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"


def new_ical_secret() -> str:
    return secrets.token_urlsafe(24)


class Rota(SQLModel, table=True):
    __tablename__ = "rota"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    default_lead: str | None = Field(default=None, max_length=64)
    ical_secret: str = Field(default_factory=new_ical_secret, max_length=64, unique=True)


class RotaMember(SQLModel, table=True):
    __tablename__ = "rota_member"
    __table_args__ = (UniqueConstraint("rota_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", index=True)
    user_id: str = Field(max_length=64, index=True)
    # Positions only grow, so a removed member's position still orders the round-robin.
    position: int


class RotaWeek(SQLModel, table=True):
    """One published week: who was planned, who is on now, and why they differ."""

    __tablename__ = "rota_week"
    __table_args__ = (UniqueConstraint("rota_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", index=True)
    week_start: date
    planned_user: str = Field(max_length=64)
    planned_position: int
    user_id: str = Field(max_length=64, index=True)
    kind: str = Field(default=PLANNED, max_length=16)
    partner: str | None = Field(default=None, max_length=64)


class Absence(SQLModel, table=True):
    __tablename__ = "absence"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    first_day: date
    last_day: date
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClientLead(SQLModel, table=True):
    __tablename__ = "client_lead"
    __table_args__ = (UniqueConstraint("rota_id", "client_key"),)

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", index=True)
    client: str = Field(max_length=255)
    client_key: str = Field(max_length=255)
    user_id: str = Field(max_length=64)


class SwapRequest(SQLModel, table=True):
    __tablename__ = "swap_request"

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", index=True)
    requester: str = Field(max_length=64, index=True)
    target: str = Field(max_length=64, index=True)
    requester_week: date
    target_week: date
    status: str = Field(default=PENDING, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dm_channel: str | None = Field(default=None, max_length=64)
    dm_ts: str | None = Field(default=None, max_length=32)


# Rotas


# Built once (see bot.store.statements): every /rota command reads these.
_ROTA_OF_CHANNEL = select(Rota).where(Rota.channel_id == bindparam("channel_id"))
_MEMBERS = (
    select(RotaMember)
    .where(RotaMember.rota_id == bindparam("rota_id"))
    .order_by(col(RotaMember.position))
)
_LAST_WEEK = (
    select(RotaWeek)
    .where(RotaWeek.rota_id == bindparam("rota_id"))
    .order_by(col(RotaWeek.week_start).desc())
    .limit(1)
)
_ABSENCES = (
    select(Absence)
    .where(
        col(Absence.user_id).in_(bindparam("user_ids", expanding=True)),
        col(Absence.first_day) <= bindparam("last"),
        col(Absence.last_day) >= bindparam("first"),
    )
    .order_by(col(Absence.first_day))
)


def rota_for_channel(*, session: Session, channel_id: str) -> Rota | None:
    return session.exec(_ROTA_OF_CHANNEL, params={"channel_id": channel_id}).first()


def rota_by_id(*, session: Session, rota_id: int) -> Rota | None:
    return session.get(Rota, rota_id)


def rota_by_secret(*, session: Session, secret: str) -> Rota | None:
    return session.exec(select(Rota).where(Rota.ical_secret == secret)).first()


def create_rota(*, session: Session, channel_id: str, created_by: str, now: datetime) -> Rota:
    return inserted(session, Rota(channel_id=channel_id, created_by=created_by, created_at=now))


def rotas_of_user(*, session: Session, user_id: str) -> list[Rota]:
    """The rotas the Slack user is a member of, oldest first."""
    query = (
        select(Rota)
        .join(RotaMember, col(RotaMember.rota_id) == col(Rota.id))
        .where(RotaMember.user_id == user_id)
        .order_by(col(Rota.id))
    )
    return list(session.exec(query))


def on_a_rota_or_lead(*, session: Session, user_id: str) -> bool:
    """Whether the Slack user is a member of some rota, or some rota's lead."""
    member = select(RotaMember.id).where(RotaMember.user_id == user_id)
    default_lead = select(Rota.id).where(Rota.default_lead == user_id)
    client_lead = select(ClientLead.id).where(ClientLead.user_id == user_id)
    return any(
        session.exec(query.limit(1)).first() is not None
        for query in (member, default_lead, client_lead)
    )


# Members


def members(*, session: Session, rota_id: int) -> list[RotaMember]:
    """The rota's members in round-robin order."""
    return list(session.exec(_MEMBERS, params={"rota_id": rota_id}))


def add_member(*, session: Session, rota_id: int, user_id: str) -> RotaMember:
    """Add at the end of the order."""
    highest = session.exec(
        select(func.max(RotaMember.position)).where(RotaMember.rota_id == rota_id)
    ).one()
    highest_week = session.exec(
        select(func.max(RotaWeek.planned_position)).where(RotaWeek.rota_id == rota_id)
    ).one()
    position = max(highest or 0, highest_week or 0) + 1
    return inserted(session, RotaMember(rota_id=rota_id, user_id=user_id, position=position))


def remove_member(*, session: Session, rota_id: int, user_id: str) -> None:
    session.exec(
        delete(RotaMember).where(
            col(RotaMember.rota_id) == rota_id, col(RotaMember.user_id) == user_id
        )
    )


# Weeks


def weeks(
    *, session: Session, rota_id: int, first: date | None = None, last: date | None = None
) -> list[RotaWeek]:
    """Published weeks whose Monday is within [first, last], in order."""
    params = {"rota_id": rota_id, "first": first, "last": last}
    return list(session.exec(_weeks_between(first is not None, last is not None), params=params))


@cache
def _weeks_between(first: bool, last: bool) -> SelectOfScalar[RotaWeek]:
    """The weeks query, built once for each pair of bounds given."""
    query = select(RotaWeek).where(RotaWeek.rota_id == bindparam("rota_id"))
    if first:
        query = query.where(col(RotaWeek.week_start) >= bindparam("first"))
    if last:
        query = query.where(col(RotaWeek.week_start) <= bindparam("last"))
    return query.order_by(col(RotaWeek.week_start))


def last_week(*, session: Session, rota_id: int) -> RotaWeek | None:
    return session.exec(_LAST_WEEK, params={"rota_id": rota_id}).first()


def publish_weeks(*, session: Session, rota_id: int, plan: list[tuple[date, RotaMember]]) -> bool:
    """Store the planned weeks; False when another request stored them first (nothing added)."""
    try:
        with session.begin_nested():
            session.add_all(
                RotaWeek(
                    rota_id=rota_id,
                    week_start=week_start,
                    planned_user=member.user_id,
                    planned_position=member.position,
                    user_id=member.user_id,
                )
                for week_start, member in plan
            )
    except IntegrityError:
        return False
    return True


def delete_weeks(*, session: Session, week_ids: list[int]) -> None:
    if week_ids:
        session.exec(delete(RotaWeek).where(col(RotaWeek.id).in_(week_ids)))


# Absences


def add_absence(
    *,
    session: Session,
    user_id: str,
    first_day: date,
    last_day: date,
    created_by: str,
    now: datetime,
) -> Absence:
    return inserted(
        session,
        Absence(
            user_id=user_id,
            first_day=first_day,
            last_day=last_day,
            created_by=created_by,
            created_at=now,
        ),
    )


def absences(*, session: Session, user_ids: list[str], first: date, last: date) -> list[Absence]:
    """Absences of these people overlapping [first, last]."""
    if not user_ids:
        return []
    params = {"user_ids": list(user_ids), "first": first, "last": last}
    return list(session.exec(_ABSENCES, params=params))


def is_away(*, session: Session, user_id: str, day: date) -> bool:
    """Whether the user recorded an absence covering this (local) date."""
    return bool(absences(session=session, user_ids=[user_id], first=day, last=day))


# Leads


def set_default_lead(*, session: Session, rota: Rota, user_id: str) -> str | None:
    """Make `user_id` the rota's lead; the lead before, if any."""
    previous = rota.default_lead
    rota.default_lead = user_id
    session.add(rota)
    return previous


def client_key(client: str) -> str:
    return " ".join(client.split()).casefold()


def set_client_lead(*, session: Session, rota_id: int, client: str, user_id: str) -> str | None:
    """Make `user_id` the client's lead in the rota; the client's lead before, if any."""
    key = client_key(client)
    existing = session.exec(
        select(ClientLead).where(ClientLead.rota_id == rota_id, ClientLead.client_key == key)
    ).first()
    previous = existing.user_id if existing else None
    lead = existing or ClientLead(rota_id=rota_id, client=client, client_key=key, user_id=user_id)
    lead.client = client
    lead.user_id = user_id
    session.add(lead)
    return previous


def lead_for_client(*, session: Session, rota_id: int, client: str | None) -> str | None:
    """The delivery lead for this client (a Zendesk organization name) in this rota, else the
    rota's default lead; None when neither is set."""
    if client:
        found = session.exec(
            select(ClientLead).where(
                ClientLead.rota_id == rota_id, ClientLead.client_key == client_key(client)
            )
        ).first()
        if found is not None:
            return found.user_id
    rota = session.get(Rota, rota_id)
    return None if rota is None else rota.default_lead


def is_lead(*, session: Session, rota: Rota, user_id: str) -> bool:
    if rota.default_lead == user_id:
        return True
    found = session.exec(
        select(ClientLead).where(ClientLead.rota_id == rota.id, ClientLead.user_id == user_id)
    ).first()
    return found is not None
