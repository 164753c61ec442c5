"""The support rota's pure rules: round-robin planning, cover for absences, swaps, fairness.

Weeks are published (stored) as they are shown, so what people have seen never shifts;
weeks beyond the published horizon are planned round-robin from the last published week.
A week has started once its Monday has begun in the team's timezone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.store import rota as store
from bot.store.rota import Absence, RotaMember, RotaWeek
from bot.worktime import WorkCalendar

WEEK = timedelta(days=7)
# Published weeks never reach further than this; a bound on cover cascades too.
MAX_WEEKS_AHEAD = 60


def has_started(week_start: date, *, today: date) -> bool:
    return week_start <= today


def collides(absence_days: Iterable[Absence], week_start: date, calendar: WorkCalendar) -> bool:
    """An absence collides with a week when it covers one of the week's working days."""
    absences = list(absence_days)
    if not absences:
        return False  # most people, most weeks: no holidays to look up
    working = calendar.working_days_of_week(week_start)
    return any(a.first_day <= d <= a.last_day for a in absences for d in working)


def next_member(order: list[RotaMember], after_position: int) -> RotaMember:
    """The member after `after_position` in the round-robin (wrapping); `order` is not empty."""
    for member in order:
        if member.position > after_position:
            return member
    return order[0]


def rotate_after(order: list[str], user_id: str) -> list[str]:
    """Everyone but `user_id`, starting with the person after them in the order."""
    if user_id not in order:
        return list(order)
    index = order.index(user_id)
    return [u for u in order[index + 1 :] + order[:index] if u != user_id]


@dataclass(frozen=True)
class Cover:
    """A cover arrangement: `coverer` takes `absent`'s week, and gives back `returned`."""

    week_start: date
    absent: str
    coverer: str
    returned: date | None


def arrange_cover(
    weeks_ahead: list[RotaWeek],
    week: RotaWeek,
    order: list[str],
    away: Callable[[str, date], bool],
) -> Cover | None:
    """Give `week` to the next available person and their next later week to the absent one.

    `weeks_ahead` are the published weeks that have not started, in order; rows are updated
    in place. None when nobody is available: the week stays with its person.
    """
    absent = week.user_id
    coverer = next((u for u in rotate_after(order, absent) if not away(u, week.week_start)), None)
    if coverer is None:
        return None
    week.user_id, week.kind, week.partner = coverer, store.COVER, absent
    returned = next(
        (
            later
            for later in weeks_ahead
            if later.week_start > week.week_start
            and later.user_id == coverer
            and not away(absent, later.week_start)
        ),
        None,
    )
    if returned is not None:
        returned.user_id, returned.kind, returned.partner = absent, store.COVER_RETURN, coverer
    return Cover(week.week_start, absent, coverer, returned.week_start if returned else None)


def swap_weeks(a: RotaWeek, b: RotaWeek) -> None:
    a.user_id, b.user_id = b.user_id, a.user_id
    a.kind = b.kind = store.SWAPPED
    a.partner, b.partner = b.user_id, a.user_id


def project(
    last: RotaWeek | None, order: list[RotaMember], first: date, through: date
) -> list[tuple[date, RotaMember]]:
    """Round-robin plan for the weeks from `first` through `through`, continuing after `last`."""
    if not order:
        return []
    position = last.planned_position if last is not None else 0
    plan = []
    week = first
    while week <= through:
        member = next_member(order, position)
        position = member.position
        plan.append((week, member))
        week += WEEK
    return plan


@dataclass(frozen=True)
class PersonStats:
    user_id: str
    served: int
    # In working days: a whole week's cover counts its working days.
    covers_given: int
    covers_taken: int


@dataclass(frozen=True)
class DaysCovered:
    """Working days of a started week one person covered for another."""

    coverer: str
    absent: str
    days: int


def fairness(
    weeks_served: list[RotaWeek],
    order: list[str],
    *,
    week_days: Callable[[date], int] = lambda _: 5,
    midweek: Iterable[DaysCovered] = (),
) -> list[PersonStats]:
    """Per person (members first, in order, then anyone who has left): weeks served, and
    cover given and taken in working days (`week_days` counts a week's)."""
    covered = [
        DaysCovered(w.user_id, w.partner, week_days(w.week_start))
        for w in weeks_served
        if w.kind == store.COVER and w.partner
    ] + list(midweek)
    people = list(order) + sorted(
        (
            {w.user_id for w in weeks_served}
            | {c.absent for c in covered}
            | {c.coverer for c in covered}
        )
        - set(order)
    )
    return [
        PersonStats(
            user_id=person,
            served=sum(1 for w in weeks_served if w.user_id == person),
            covers_given=sum(c.days for c in covered if c.coverer == person),
            covers_taken=sum(c.days for c in covered if c.absent == person),
        )
        for person in people
    ]
