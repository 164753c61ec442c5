"""The rota's weeks as stored: published on demand, with cover applied as absences require.

Queries other features use (all keyword-only):
* `on_support(session=, calendar=, rota_id=, day=)` and `on_support_at(..., now=)`: who is on.
* `bot.store.rota.rotas_of_user(session=, user_id=)`: the rotas of a Slack user.
* `bot.store.rota.lead_for_client(session=, rota_id=, client=)`: a client's delivery lead.
* `bot.store.rota.is_away(session=, user_id=, day=)`: whether someone is away that day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from bot.rota.planning import MAX_WEEKS_AHEAD, WEEK, Cover, arrange_cover, collides, project
from bot.store import rota as store
from bot.store import rota_cover as covers
from bot.store.rota import Absence, RotaMember, RotaWeek
from bot.worktime import WorkCalendar

log = logging.getLogger(__name__)


@dataclass
class Planner:
    """The rota's weeks, published on demand, with cover applied as absences require."""

    session: Session
    calendar: WorkCalendar
    rota_id: int
    today: date
    covers: list[Cover] = field(default_factory=list)
    # The rota's members in order, read once per planner (or given by a command that has just
    # read them): a planner lives for one command, in one transaction, and the commands that
    # change the members or absences do so before they make theirs.
    members: list[RotaMember] | None = field(default=None, repr=False)
    # The furthest `refresh` has reached: asking again for no further is answered already.
    _refreshed: date | None = field(default=None, init=False, repr=False)
    # The weeks `upcoming` read, until this planner publishes more.
    _upcoming: list[RotaWeek] | None = field(default=None, init=False, repr=False)
    # Whether it has published weeks or rearranged any for cover: what it read has changed.
    wrote: bool = field(default=False, init=False)

    @property
    def this_week(self) -> date:
        return self.calendar.week_start(self.today)

    def order(self) -> list[RotaMember]:
        if self.members is None:
            self.members = store.members(session=self.session, rota_id=self.rota_id)
        return self.members

    def publish(self, through: date) -> None:
        """Store the planned weeks up to the week containing `through` (bounded)."""
        through = min(self.calendar.week_start(through), self.this_week + MAX_WEEKS_AHEAD * WEEK)
        upcoming = self.upcoming()
        if upcoming and upcoming[-1].week_start >= through:
            return  # published that far already
        last = store.last_week(session=self.session, rota_id=self.rota_id)
        first = self.this_week if last is None else max(last.week_start + WEEK, self.this_week)
        plan = project(last, self.order(), first, through)
        if not plan:
            return
        self._upcoming = None
        self.wrote = True
        if not store.publish_weeks(session=self.session, rota_id=self.rota_id, plan=plan):
            # Another request published these weeks a moment ago; its weeks stand.
            log.info("rota %s: weeks were published concurrently", self.rota_id)

    def upcoming(self) -> list[RotaWeek]:
        """Published weeks that have not started (read once until this planner publishes more:
        the weeks it hands out are the session's own, so changes made to them show)."""
        if self._upcoming is None:
            self._upcoming = store.weeks(
                session=self.session, rota_id=self.rota_id, first=self.this_week + WEEK
            )
        return list(self._upcoming)

    def away(self) -> Callable[[str, date], bool]:
        """Whether someone is away in a week: every member's absences read in one query."""
        first, last = self.this_week, self.this_week + (MAX_WEEKS_AHEAD + 1) * WEEK

        def read(user_ids: list[str]) -> dict[str, list[Absence]]:
            found: dict[str, list[Absence]] = {user_id: [] for user_id in user_ids}
            for absence in store.absences(
                session=self.session, user_ids=user_ids, first=first, last=last
            ):
                found[absence.user_id].append(absence)
            return found

        by_user = read([member.user_id for member in self.order()])

        def is_away(user_id: str, week_start: date) -> bool:
            if user_id not in by_user:  # someone who has left the rota but still holds a week
                by_user.update(read([user_id]))
            return collides(by_user[user_id], week_start, self.calendar)

        return is_away

    def refresh(self, through: date) -> None:
        """Publish through `through` and arrange cover wherever an absence collides.

        Once per horizon: weeks published and covers arranged stay so for the planner's command.
        """
        if self._refreshed is not None and through <= self._refreshed:
            return
        self._refreshed = through
        self.publish(through)
        order = [m.user_id for m in self.order()]
        away = self.away()
        tried: set[date] = set()
        while True:
            upcoming = self.upcoming()
            week = next(
                (
                    w
                    for w in upcoming
                    if w.week_start not in tried and away(w.user_id, w.week_start)
                ),
                None,
            )
            if week is None:
                return
            tried.add(week.week_start)
            self.wrote = True
            # The coverer's next week must be published to be given back.
            self.publish(week.week_start + (len(order) + 1) * WEEK)
            upcoming = self.upcoming()
            target = next(w for w in upcoming if w.week_start == week.week_start)
            cover = arrange_cover(upcoming, target, order, away)
            if cover is not None:
                self.covers.append(cover)
            self.session.add_all(upcoming)
            self.session.flush()

    def shown(self, count: int) -> list[RotaWeek]:
        """This week and the next `count - 1`, published."""
        last = self.this_week + (count - 1) * WEEK
        self.refresh(last)
        return store.weeks(
            session=self.session, rota_id=self.rota_id, first=self.this_week, last=last
        )

    def next_week_of(self, user_id: str, *, exclude: date | None = None) -> RotaWeek | None:
        """The person's earliest week that has not started (published on demand)."""
        self.refresh(self.this_week + (len(self.order()) + 1) * WEEK)
        return next(
            (w for w in self.upcoming() if w.user_id == user_id and w.week_start != exclude),
            None,
        )

    def week_at(self, week_start: date) -> RotaWeek | None:
        self.refresh(week_start)
        found = store.weeks(
            session=self.session, rota_id=self.rota_id, first=week_start, last=week_start
        )
        return found[0] if found else None


def on_support(*, session: Session, calendar: WorkCalendar, rota_id: int, day: date) -> str | None:
    """Who is on support for the rota on this local date: whoever accepted to cover that day
    inside a started week, else the published week, else the plan.

    Reads only; None when the rota has nobody (or the date is before the rota began).
    """
    covering = covers.coverer_on(session=session, rota_id=rota_id, day=day)
    if covering is not None:
        return covering
    week_start = calendar.week_start(day)
    found = store.weeks(session=session, rota_id=rota_id, first=week_start, last=week_start)
    if found:
        return found[0].user_id
    last = store.last_week(session=session, rota_id=rota_id)
    if last is None or last.week_start > week_start:
        return None
    plan = project(
        last, store.members(session=session, rota_id=rota_id), last.week_start + WEEK, week_start
    )
    return plan[-1][1].user_id if plan else None


def on_support_at(
    *, session: Session, calendar: WorkCalendar, rota_id: int, now: datetime
) -> str | None:
    """Who is on support for the rota at this instant."""
    return on_support(session=session, calendar=calendar, rota_id=rota_id, day=calendar.today(now))
