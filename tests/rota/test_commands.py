"""Running a parsed /rota command against the database."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.rota.commands import run_command
from bot.rota.parse import parse_command
from bot.rota.request import RotaRequest
from bot.store import rota as store
from bot.store.db import session_scope
from tests.rota.helpers import CALENDAR, NOW, make_rota


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
