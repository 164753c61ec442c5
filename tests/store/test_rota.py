"""The rota's tables and queries on both databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine

from bot.store import rota as store
from bot.store.db import session_scope
from tests.rota.helpers import make_rota


def test_leads(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1")
    with session_scope(engine) as session:
        assert store.lead_for_client(session=session, rota_id=rota_id, client="Acme") is None
        rota = store.rota_by_id(session=session, rota_id=rota_id)
        assert rota is not None
        store.set_default_lead(session=session, rota=rota, user_id="U8")
        store.set_client_lead(session=session, rota_id=rota_id, client="Acme  Ltd", user_id="U9")
        store.set_client_lead(session=session, rota_id=rota_id, client="acme ltd", user_id="U7")
    with session_scope(engine) as session:
        assert store.lead_for_client(session=session, rota_id=rota_id, client="ACME LTD") == "U7"
        assert store.lead_for_client(session=session, rota_id=rota_id, client="Other") == "U8"
        assert store.lead_for_client(session=session, rota_id=rota_id, client=None) == "U8"


def test_weeks_published_by_another_request_stand(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1", "U2")
    monday = date(2026, 11, 30)
    with session_scope(engine) as session:
        u1, u2 = store.members(session=session, rota_id=rota_id)
        assert store.publish_weeks(session=session, rota_id=rota_id, plan=[(monday, u1)])
    with session_scope(engine) as session:
        plan = [(monday, u2), (monday + timedelta(days=7), u1)]
        assert not store.publish_weeks(session=session, rota_id=rota_id, plan=plan)
    with session_scope(engine) as session:
        weeks = store.weeks(session=session, rota_id=rota_id)
        assert [(w.week_start, w.user_id) for w in weeks] == [(monday, "U1")]
