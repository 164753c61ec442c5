"""Slack people's names as Rotabot last learned them, for pages that must not ask Slack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, select

from bot.store.db import utcnow
from bot.store.rota import RotaMember, RotaWeek
from bot.store.types import UTCDateTime


class SlackUserName(SQLModel, table=True):
    __tablename__ = "slack_user_name"

    user_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    learned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Built once (see bot.store.statements): every /rota command that names people reads it.
_NAMES = SlackUserName.__table__  # type: ignore[attr-defined]
_KNOWN = sa_select(_NAMES.c.user_id, _NAMES.c.name).where(
    _NAMES.c.user_id.in_(bindparam("user_ids", expanding=True))
)


def remember_names(*, session: Session, names: Mapping[str, str], now: datetime) -> None:
    """Keep each person's latest name (by Slack user id), with when it was learned.

    Writes only names that are new or changed: a request that learns what is kept already
    reads, and so takes no write lock (SQLite has one for the whole database)."""
    kept = known_names(session=session, user_ids=names)
    for user_id, name in names.items():
        name = name[:255]
        if user_id not in kept:
            session.add(SlackUserName(user_id=user_id, name=name, learned_at=now))
        elif kept[user_id] != name:
            known = session.get(SlackUserName, user_id)
            if known is not None:
                known.name, known.learned_at = name, now
                session.add(known)


def known_names(*, session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """The names kept for these people; someone never learned is left out."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    return dict(session.execute(_KNOWN, {"user_ids": wanted}).all())  # rows are pairs


def people_on_rotas(*, session: Session) -> list[str]:
    """Everyone a calendar feed may name: rota members and the people of published weeks."""
    members = session.exec(select(RotaMember.user_id).distinct()).all()
    on_weeks = session.exec(select(RotaWeek.user_id).distinct()).all()
    return sorted({*members, *on_weeks})
