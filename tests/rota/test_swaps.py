"""Answering a swap request, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.rota.planner import Planner
from bot.rota.swaps import answer_swap
from bot.store import rota as store
from bot.store import rota_swaps
from bot.store.db import session_scope
from bot.store.rota import SwapRequest
from tests.rota.helpers import CALENDAR, NOW, TODAY, make_rota


def test_swap_request_is_answered_once(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1", "U2")
    with session_scope(engine) as session:
        Planner(session, CALENDAR, rota_id, TODAY).refresh(date(2026, 12, 14))
        request = rota_swaps.add_swap_request(
            session=session,
            request=SwapRequest(
                rota_id=rota_id,
                requester="U2",
                target="U1",
                requester_week=date(2026, 12, 7),
                target_week=date(2026, 12, 14),
                created_at=NOW,
            ),
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
        assert rota_swaps.pending_swaps(session=session, user_id="U1") == []
