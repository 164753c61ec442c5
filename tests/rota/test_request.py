"""What the /rota subcommands share: who is a bot, and the checks on the people named."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.rota.commands import run_command
from bot.rota.parse import parse_command
from bot.rota.request import RotaRequest, bots_among
from bot.store import rota as store
from bot.store.db import session_scope
from tests.rota.helpers import CALENDAR, NOW


class Directory:
    """People whose bots are known, remembering whom it was asked about."""

    def __init__(self, *bots: str) -> None:
        self.bots = set(bots)
        self.asked: list[str] = []

    def is_bot(self, user_id: str) -> bool:
        self.asked.append(user_id)
        return user_id in self.bots


def test_bots_among_asks_about_each_person_named_once() -> None:
    people = Directory("W7")
    assert bots_among(people, ("U1", "W7")) == frozenset({"W7"})
    assert people.asked == ["U1", "W7"]


def test_a_bot_named_is_refused_and_nothing_changes(engine: Engine) -> None:
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset({"W7"}), "C1", "U1")
        outcome = run_command(request, parse_command("add <@U1> <@W7>"))
    assert outcome.text.startswith("<@W7> is a bot, not a teammate.")
    with session_scope(engine) as session:
        assert store.rota_for_channel(session=session, channel_id="C1") is None
