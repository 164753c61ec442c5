"""The rota's pure rules: round-robin, cover, swaps, fairness."""

from __future__ import annotations

from datetime import date, timedelta

from bot.rota.planning import (
    DaysCovered,
    arrange_cover,
    collides,
    fairness,
    project,
    swap_weeks,
)
from bot.store import rota as store
from bot.store.rota import Absence, RotaMember, RotaWeek
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar()
MONDAY = date(2026, 12, 7)


def member(user: str, position: int) -> RotaMember:
    return RotaMember(rota_id=1, user_id=user, position=position)


def week(start: date, user: str, position: int = 1) -> RotaWeek:
    return RotaWeek(
        rota_id=1, week_start=start, planned_user=user, planned_position=position, user_id=user
    )


def absence(user: str, first: date, last: date) -> Absence:
    return Absence(user_id=user, first_day=first, last_day=last, created_by=user)


def test_project_continues_after_the_last_week() -> None:
    order = [member("A", 1), member("B", 2), member("C", 4)]
    last = week(MONDAY, "B", position=2)
    plan = project(last, order, MONDAY + timedelta(days=7), MONDAY + timedelta(days=21))
    assert [(d.isoformat(), m.user_id) for d, m in plan] == [
        ("2026-12-14", "C"),
        ("2026-12-21", "A"),
        ("2026-12-28", "B"),
    ]


def test_project_after_a_removed_member_goes_to_the_next_position() -> None:
    order = [member("A", 1), member("C", 3)]
    last = week(MONDAY, "B", position=2)
    plan = project(last, order, MONDAY + timedelta(days=7), MONDAY + timedelta(days=7))
    assert plan[0][1].user_id == "C"


def test_collides_only_on_working_days() -> None:
    christmas_week = date(2026, 12, 21)
    assert collides(
        [absence("A", date(2026, 12, 24), date(2026, 12, 24))], christmas_week, CALENDAR
    )
    # Friday 25 December is a bank holiday, so an absence on it alone does not collide.
    assert not collides(
        [absence("A", date(2026, 12, 25), date(2026, 12, 27))], christmas_week, CALENDAR
    )


def test_arrange_cover_gives_the_coverer_s_next_week_back() -> None:
    weeks = [week(MONDAY + timedelta(days=7 * i), user) for i, user in enumerate("ABCABC")]
    away_weeks = {("A", MONDAY)}
    cover = arrange_cover(weeks, weeks[0], ["A", "B", "C"], lambda u, w: (u, w) in away_weeks)
    assert cover is not None
    assert (cover.coverer, cover.returned) == ("B", MONDAY + timedelta(days=7))
    assert [(w.user_id, w.kind, w.partner) for w in weeks[:3]] == [
        ("B", store.COVER, "A"),
        ("A", store.COVER_RETURN, "B"),
        ("C", store.PLANNED, None),
    ]


def test_arrange_cover_skips_returns_in_weeks_the_absent_person_is_away_too() -> None:
    weeks = [week(MONDAY + timedelta(days=7 * i), user) for i, user in enumerate("ABCABC")]
    away_weeks = {("A", MONDAY), ("A", MONDAY + timedelta(days=7))}
    cover = arrange_cover(weeks, weeks[0], ["A", "B", "C"], lambda u, w: (u, w) in away_weeks)
    assert cover is not None
    assert (cover.coverer, cover.returned) == ("B", MONDAY + timedelta(days=28))


def test_arrange_cover_when_nobody_is_available() -> None:
    weeks = [week(MONDAY, "A"), week(MONDAY + timedelta(days=7), "B")]
    assert arrange_cover(weeks, weeks[0], ["A", "B"], lambda u, w: w == MONDAY) is None
    assert weeks[0].user_id == "A"


def test_swap_weeks_marks_both() -> None:
    a, b = week(MONDAY, "A"), week(MONDAY + timedelta(days=7), "B")
    swap_weeks(a, b)
    assert (a.user_id, a.partner, b.user_id, b.partner) == ("B", "A", "A", "B")
    assert a.kind == b.kind == store.SWAPPED


def test_fairness_counts_weeks_and_covers() -> None:
    covered = week(MONDAY, "A")
    covered.user_id, covered.kind, covered.partner = "B", store.COVER, "A"
    weeks = [covered, week(MONDAY + timedelta(days=7), "B"), week(MONDAY + timedelta(days=14), "Z")]
    rows = fairness(weeks, ["A", "B"], week_days=lambda _: 4, midweek=[DaysCovered("Z", "B", 2)])
    assert [(r.user_id, r.served, r.covers_given, r.covers_taken) for r in rows] == [
        ("A", 0, 0, 4),
        ("B", 2, 4, 2),
        ("Z", 1, 2, 0),
    ]
