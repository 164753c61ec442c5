"""Running a parsed /rota command against the database."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.blocks.rota import NO_ROTA, USAGE
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


def test_in_a_direct_message_only_help_answers(engine: Engine) -> None:
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "D1", "U1")
        assert run_command(request, parse_command("show")).text.startswith(
            "A rota belongs to a channel"
        )
        assert run_command(request, parse_command("help")).text.startswith("*Usage:*")


def test_a_channel_without_a_rota_is_told_how_to_start_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", "U1")
        for text in ("show", "who", "remove <@U2>", "swap <@U2>", "away tomorrow", "lead <@U2>"):
            outcome = run_command(request, parse_command(text))
            assert outcome.text.startswith("This channel has no support rota yet."), text
        for text in ("stats", "ical"):
            assert run_command(request, parse_command(text)).text == NO_ROTA


def test_a_mistake_is_followed_by_the_usage(engine: Engine) -> None:
    make_rota(engine, "U1")
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", "U1")
        text = run_command(request, parse_command("away someday")).text
    assert text.endswith(USAGE)
    assert not text.startswith("*Usage:*")
