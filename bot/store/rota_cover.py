"""Cover inside a week that has begun, and the Slack surfaces (user group, topic) of a rota."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, Session, SQLModel, col, select, update

from bot.store.changes import UNSHOWN
from bot.store.db import utcnow
from bot.store.types import UTCDateTime

# MidWeekCover.status
ASKING = "asking"  # `asked` has Accept / Decline buttons
ACCEPTED = "accepted"  # `coverer` is on support from first_day through last_day
UNFILLED = "unfilled"  # everyone declined or nobody was available
CANCELLED = "cancelled"  # the rota changed under it (the absence was replaced, say)


class MidWeekCover(SQLModel, table=True):
    """The rest of a started week while its person is away: asked round the rota in order."""

    __tablename__ = "midweek_cover"

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", index=True)
    week_start: date = Field(index=True)
    absent: str = Field(max_length=64)
    first_day: date
    last_day: date
    status: str = Field(default=ASKING, max_length=16)
    asked: str | None = Field(default=None, max_length=64)
    # The people who said no, space-separated, in the order they were asked.
    declined: str = Field(default="", max_length=1024)
    coverer: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dm_channel: str | None = Field(default=None, max_length=64)
    dm_ts: str | None = Field(default=None, max_length=32)

    @property
    def declined_by(self) -> list[str]:
        return self.declined.split()


class RotaSurface(SQLModel, table=True):
    """Where else a rota shows who is on support: a Slack user group, the channel topic."""

    __tablename__ = "rota_surface"

    id: int | None = Field(default=None, primary_key=True)
    rota_id: int = Field(foreign_key="rota.id", unique=True)
    usergroup_id: str | None = Field(default=None, max_length=32)
    usergroup_handle: str | None = Field(default=None, max_length=100)
    # Who Rotabot last put in the group: anything else found there was edited by hand.
    group_holds: str | None = Field(default=None, max_length=64)
    topic_on: bool = False
    # The channel is told once that Rotabot manages the group, and once when nobody is on.
    told_managed: bool = False
    told_nobody: bool = False


def add_midweek_cover(
    *,
    session: Session,
    rota_id: int,
    week_start: date,
    absent: str,
    first_day: date,
    last_day: date,
    now: datetime,
) -> MidWeekCover:
    cover = MidWeekCover(
        rota_id=rota_id,
        week_start=week_start,
        absent=absent,
        first_day=first_day,
        last_day=last_day,
        created_at=now,
    )
    session.add(cover)
    session.flush()
    return cover


def midweek_cover(
    *, session: Session, cover_id: int, for_update: bool = False
) -> MidWeekCover | None:
    query = select(MidWeekCover).where(MidWeekCover.id == cover_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def midweek_covers(
    *, session: Session, rota_id: int, first: date, last: date | None = None
) -> list[MidWeekCover]:
    """Covers asked or accepted in the weeks from `first` (through `last`), by first day."""
    query = select(MidWeekCover).where(
        MidWeekCover.rota_id == rota_id,
        col(MidWeekCover.week_start) >= first,
        col(MidWeekCover.status).in_([ASKING, ACCEPTED]),
    )
    if last is not None:
        query = query.where(col(MidWeekCover.week_start) <= last)
    return list(session.exec(query.order_by(col(MidWeekCover.first_day), col(MidWeekCover.id))))


def coverer_on(*, session: Session, rota_id: int, day: date) -> str | None:
    """Who covers the rota on this local date by an accepted mid-week cover, if anyone."""
    query = (
        select(MidWeekCover.coverer)
        .where(
            MidWeekCover.rota_id == rota_id,
            MidWeekCover.status == ACCEPTED,
            col(MidWeekCover.first_day) <= day,
            col(MidWeekCover.last_day) >= day,
        )
        .order_by(col(MidWeekCover.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def surface_of(*, session: Session, rota_id: int) -> RotaSurface:
    """The rota's surfaces row, created (unflushed) when it has none."""
    found = session.exec(select(RotaSurface).where(RotaSurface.rota_id == rota_id)).first()
    if found is None:
        found = RotaSurface(rota_id=rota_id)
        session.add(found)
    return found


def surfaces_in_use(*, session: Session) -> list[RotaSurface]:
    """Rotas with a linked user group or a topic line."""
    query = select(RotaSurface).where(
        (col(RotaSurface.usergroup_id).is_not(None)) | (col(RotaSurface.topic_on).is_(True))
    )
    return list(session.exec(query.order_by(col(RotaSurface.rota_id))))


def set_cover_dm(*, session: Session, cover_id: int, channel: str, ts: str) -> None:
    """Where the request's DM was posted: one UPDATE, and no remembered rota forgotten for it."""
    session.execute(
        update(MidWeekCover)
        .where(col(MidWeekCover.id) == cover_id)
        .values(dm_channel=channel, dm_ts=ts),
        execution_options={UNSHOWN: True, "synchronize_session": False},
    )
