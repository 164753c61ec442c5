"""The rotas of one person, as their App Home shows them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.blocks.rota import DaysCover, RotaSummary
from bot.rota.planner import Planner
from bot.rota.planning import has_started
from bot.rota.request import Post, cover_posts
from bot.store import rota as store
from bot.store import rota_cover, rota_swaps
from bot.worktime import WorkCalendar

HOME_WEEKS = 8


def home_summaries(
    *, session: Session, calendar: WorkCalendar, now: datetime, user_id: str
) -> tuple[list[RotaSummary], list[Post]]:
    """The user's rotas (published through the next weeks) and any cover notices that made."""
    today = calendar.today(now)
    pending = [
        s
        for s in rota_swaps.pending_swaps(session=session, user_id=user_id)
        if not has_started(min(s.requester_week, s.target_week), today=today)
    ]
    summaries: list[RotaSummary] = []
    posts: list[Post] = []
    for rota in store.rotas_of_user(session=session, user_id=user_id):
        assert rota.id is not None
        planner = Planner(session, calendar, rota.id, today)
        shown = planner.shown(HOME_WEEKS)
        posts += cover_posts(planner.covers, channel=rota.channel_id, today=today)
        covering = rota_cover.midweek_covers(
            session=session, rota_id=rota.id, first=planner.this_week, last=planner.this_week
        )
        summaries.append(
            RotaSummary(
                channel_id=rota.channel_id,
                current=next((w for w in shown if w.week_start == planner.this_week), None),
                my_weeks=[
                    w for w in shown if w.user_id == user_id and w.week_start > planner.this_week
                ],
                swaps_to_me=[s for s in pending if s.rota_id == rota.id and s.target == user_id],
                swaps_from_me=[
                    s for s in pending if s.rota_id == rota.id and s.requester == user_id
                ],
                covers=tuple(
                    DaysCover(c.first_day, c.last_day, c.coverer)
                    for c in covering
                    if c.status == rota_cover.ACCEPTED and c.coverer
                ),
            )
        )
    return summaries, posts
