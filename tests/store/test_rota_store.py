"""The rota's tables and queries on both databases, through the planner."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from bot.rota.commands import run_command
from bot.rota.parse import parse_command
from bot.rota.planner import Planner, on_support, on_support_at
from bot.rota.request import RotaRequest
from bot.rota.swaps import answer_swap
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


def test_swap_request_is_answered_once(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1", "U2")
    with session_scope(engine) as session:
        Planner(session, CALENDAR, rota_id, TODAY).refresh(date(2026, 12, 14))
        request = store.add_swap_request(
            session=session,
            rota_id=rota_id,
            requester="U2",
            target="U1",
            requester_week=date(2026, 12, 7),
            target_week=date(2026, 12, 14),
            now=NOW,
        )
        request_id = request.id
    assert request_id is not None
    for expected in ("Swapped.", "This swap request was already accepted; nothing changed."):
        with session_scope(engine) as session:
            answer = answer_swap(
                session=session,
                calendar=CALENDAR,
                now=NOW,
                request_id=request_id,
                user_id="U1",
                accept=True,
            )
        assert answer.reply == expected
    with session_scope(engine) as session:
        weeks = store.weeks(session=session, rota_id=rota_id, first=date(2026, 12, 7))
        assert [(w.user_id, w.planned_user, w.kind) for w in weeks] == [
            ("U1", "U2", store.SWAPPED),
            ("U2", "U1", store.SWAPPED),
        ]
        assert store.pending_swaps(session=session, user_id="U1") == []


def test_ical_link_uses_the_public_url(engine: Engine) -> None:
    make_rota(engine, "U1")
    with session_scope(engine) as session:
        request = RotaRequest(
            session, CALENDAR, NOW, frozenset(), "C1", "U1", public_url="https://rota.example.com"
        )
        outcome = run_command(request, parse_command("ical"))
        secret = store.rota_for_channel(session=session, channel_id="C1")
        assert secret is not None
    assert outcome.text == (
        "Your private calendar feed of this rota (keep it to the team):\n"
        f"https://rota.example.com/rota/{secret.ical_secret}.ics"
    )
