"""The rotas of one person as their App Home shows them, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.rota.home import home_summaries
from bot.store.db import session_scope
from tests.rota.helpers import CALENDAR, NOW, make_rota


def test_home_summaries_show_this_week_and_the_person_s_next_weeks(engine: Engine) -> None:
    make_rota(engine, "U1", "U2")
    with session_scope(engine) as session:
        summaries, posts = home_summaries(session=session, calendar=CALENDAR, now=NOW, user_id="U2")
        assert [s.channel_id for s in summaries] == ["C1"]
        (summary,) = summaries
        assert summary.current is not None
        assert (summary.current.week_start, summary.current.user_id) == (date(2026, 11, 30), "U1")
        assert [w.week_start for w in summary.my_weeks] == [
            date(2026, 12, 7),
            date(2026, 12, 21),
            date(2027, 1, 4),
            date(2027, 1, 18),
        ]
        assert (summary.swaps_to_me, summary.swaps_from_me, posts) == ([], [], [])


def test_home_summaries_of_someone_on_no_rota(engine: Engine) -> None:
    make_rota(engine, "U1")
    with session_scope(engine) as session:
        assert home_summaries(session=session, calendar=CALENDAR, now=NOW, user_id="U9") == (
            [],
            [],
        )
