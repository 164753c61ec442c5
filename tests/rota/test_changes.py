"""The /rota subcommands that change the rota, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.rota.commands import run_command
from bot.rota.parse import parse_command
from bot.rota.request import RotaRequest
from bot.store import rota as store
from bot.store.audit import audit_events
from bot.store.db import session_scope
from tests.rota.helpers import CALENDAR, NOW, make_rota


def run(engine: Engine, text: str, *, user: str = "U1") -> str:
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", user)
        return run_command(request, parse_command(text)).text


def test_the_first_add_starts_the_rota_and_later_adds_go_at_the_end(engine: Engine) -> None:
    assert run(engine, "add <@U1> <@U2>") == (
        "Started the support rota for this channel with <@U1>, <@U2>."
    )
    assert run(engine, "add <@U2> <@U3>") == (
        "Added <@U3> at the end of the order; weeks already shown stay as they are. "
        "Already on the rota: <@U2>."
    )
    with session_scope(engine) as session:
        rota = store.rota_for_channel(session=session, channel_id="C1")
        assert rota is not None and rota.id is not None
        assert [m.user_id for m in store.members(session=session, rota_id=rota.id)] == [
            "U1",
            "U2",
            "U3",
        ]
        actions = [e.action for e in audit_events(session=session, scope="C1")]
        assert sorted(actions) == ["rota.add", "rota.add", "rota.create"]


def test_outsiders_may_not_change_the_rota(engine: Engine) -> None:
    make_rota(engine, "U1")
    assert run(engine, "add <@U8>", user="U8").startswith("Only the members of this rota")
    assert run(engine, "lead <@U8>", user="U8").startswith("Only the members of this rota")


def test_away_is_recorded_and_covered(engine: Engine) -> None:
    make_rota(engine, "U1", "U2", "U3")
    text = run(engine, "away 7 Dec 9 Dec", user="U2")
    assert text.startswith("Noted: You're away Mon 7 Dec")
    assert "<@U3> covers; <@U2> takes their week" in text
    with session_scope(engine) as session:
        assert store.is_away(session=session, user_id="U2", day=date(2026, 12, 8))


def test_removing_the_last_member_clears_the_weeks_to_come(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1")
    run(engine, "show")
    assert run(engine, "remove <@U1>") == (
        "Removed <@U1>. Nobody is left on this rota: add people with `/rota add`."
    )
    with session_scope(engine) as session:
        assert store.members(session=session, rota_id=rota_id) == []
        assert [w.week_start for w in store.weeks(session=session, rota_id=rota_id)] == [
            date(2026, 11, 30)
        ]
