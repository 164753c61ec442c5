"""Publishing the rota's weeks, cover for absences, and who is on support, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.rota.planner import Planner, on_support, on_support_at
from bot.store import rota as store
from bot.store.db import session_scope
from tests.rota.helpers import CALENDAR, NOW, TODAY, make_rota


def test_publishing_and_who_is_on(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1", "U2")
    with session_scope(engine) as session:
        Planner(session, CALENDAR, rota_id, TODAY).refresh(date(2026, 12, 14))
    with session_scope(engine) as session:
        weeks = store.weeks(session=session, rota_id=rota_id)
        assert [(w.week_start, w.user_id) for w in weeks] == [
            (date(2026, 11, 30), "U1"),
            (date(2026, 12, 7), "U2"),
            (date(2026, 12, 14), "U1"),
        ]
        assert on_support_at(session=session, calendar=CALENDAR, rota_id=rota_id, now=NOW) == "U1"
        # Beyond the published weeks, the plan continues the round-robin without storing it.
        far = date(2027, 1, 6)
        assert on_support(session=session, calendar=CALENDAR, rota_id=rota_id, day=far) == "U2"
        assert len(store.weeks(session=session, rota_id=rota_id)) == 3
        assert [r.channel_id for r in store.rotas_of_user(session=session, user_id="U2")] == ["C1"]
        assert store.rotas_of_user(session=session, user_id="U3") == []


def test_absence_gets_cover_and_is_queryable(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1", "U2", "U3")
    with session_scope(engine) as session:
        store.add_absence(
            session=session,
            user_id="U2",
            first_day=date(2026, 12, 7),
            last_day=date(2026, 12, 9),
            created_by="U2",
            now=NOW,
        )
        planner = Planner(session, CALENDAR, rota_id, TODAY)
        planner.refresh(date(2026, 12, 21))
        assert [(c.absent, c.coverer, c.returned) for c in planner.covers] == [
            ("U2", "U3", date(2026, 12, 14))
        ]
    with session_scope(engine) as session:
        assert store.is_away(session=session, user_id="U2", day=date(2026, 12, 8))
        assert not store.is_away(session=session, user_id="U2", day=date(2026, 12, 10))
        assert (
            on_support(session=session, calendar=CALENDAR, rota_id=rota_id, day=date(2026, 12, 8))
            == "U3"
        )
