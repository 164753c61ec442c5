"""A rota in a test database, and the instant the rota tests run at."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from bot.store import rota as store
from bot.store.db import session_scope
from bot.worktime import WorkCalendar

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)
CALENDAR = WorkCalendar()


def make_rota(engine: Engine, *users: str) -> int:
    with session_scope(engine) as session:
        rota = store.create_rota(session=session, channel_id="C1", created_by="U1", now=NOW)
        assert rota.id is not None
        for user in users:
            store.add_member(session=session, rota_id=rota.id, user_id=user)
        return rota.id
