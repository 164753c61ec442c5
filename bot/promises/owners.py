"""Who a promise falls to: the rota a person belongs to, and who is on support there."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.rota.planner import on_support
from bot.store import rota as rota_store
from bot.store.reports import all_rotas
from bot.worktime import WorkCalendar


def rota_channel_for(session: Session, user_id: str) -> tuple[int, str] | None:
    """The rota (id, channel) a person belongs to; else the first rota; None without rotas."""
    rotas = rota_store.rotas_of_user(session=session, user_id=user_id) or all_rotas(session=session)
    if not rotas or rotas[0].id is None:
        return None
    return rotas[0].id, rotas[0].channel_id


def person_on_support(
    session: Session, calendar: WorkCalendar, user_id: str, now: datetime
) -> str | None:
    found = rota_channel_for(session, user_id)
    if found is None:
        return None
    return on_support(session=session, calendar=calendar, rota_id=found[0], day=calendar.today(now))
