"""The nudge rules in SQL pick exactly the tickets bot.nudges.rules picks, in the same order, on
both databases: random tickets, with times placed on, just before and just after each threshold."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.nudges.rules import (
    client_waiting,
    review_reason,
    waiting_cutoffs,
)
from bot.store.db import make_engine, session_scope
from bot.store.migrate import upgrade
from bot.store.priority_reviews import PriorityReview
from bot.store.shortlists import (
    Shortlist,
    clients_waiting,
    needing_review,
    shortlists,
    stale_review_before,
    triage_key,
)
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar
from tests.store.test_digest_lines import digest

CALENDAR = WorkCalendar(timezone="Europe/London", holidays="GB-ENG")
# Tuesday after the October clock change, mid-morning: the thresholds reach back over it.
NOW = datetime(2026, 10, 27, 10, 15, tzinfo=UTC)
REVIEW_AFTER_DAYS = 7
WAITING_HOURS = 4
NO_REPLY_DAYS = 2
CUTOFFS = waiting_cutoffs(CALENDAR, NOW, waiting_hours=WAITING_HOURS, no_reply_days=NO_REPLY_DAYS)
STALE = stale_review_before(NOW, REVIEW_AFTER_DAYS)
ASSIGNEES = (None, 901, 902, 903)
TODAY = CALENDAR.today(NOW)


def _instant(rng: random.Random) -> datetime | None:
    """Mostly random, often exactly on a threshold or a microsecond either side of it."""
    choice = rng.random()
    if choice < 0.1:
        return None
    if choice < 0.5:
        edge = rng.choice([CUTOFFS.client_wrote_by, CUTOFFS.replied_by, STALE])
        return edge + timedelta(microseconds=rng.choice([-1, 0, 1]))
    return NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 20))


def _seed(session: Session, rng: random.Random, count: int) -> None:
    for ticket_id in range(1, count + 1):
        created = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        if rng.random() < 0.2:
            created = CUTOFFS.replied_by + timedelta(microseconds=rng.choice([-1, 0, 1]))
        session.add(
            Ticket(
                id=ticket_id,
                subject=f"T{ticket_id}",
                status=rng.choice(["new", "open", "open", "pending", "hold", "solved"]),
                priority=rng.choice(["urgent", "high", "normal", "low", None]),
                assignee_id=rng.choice(ASSIGNEES),
                # Ties in creation time are ordered by ticket id.
                created_at=created if ticket_id % 9 else NOW - timedelta(days=3),
                updated_at=NOW,
                last_requester_comment_at=_instant(rng),
                last_agent_public_reply_at=_instant(rng),
            )
        )
        for _ in range(rng.choice([0, 0, 1, 2])):
            reviewed = _instant(rng) or NOW - timedelta(days=1)
            session.add(
                PriorityReview(
                    ticket_id=ticket_id, reviewed_by="U1", reviewed_at=reviewed, source="card"
                )
            )


def _expected_reviews(session: Session) -> list[tuple[Ticket, Any]]:
    latest: dict[int, datetime] = {}
    for review in session.exec(select(PriorityReview)).all():
        latest[review.ticket_id] = max(
            latest.get(review.ticket_id, review.reviewed_at), review.reviewed_at
        )
    picked = [
        (ticket, latest.get(ticket.id))
        for ticket in session.exec(select(Ticket)).all()
        if review_reason(
            ticket, latest.get(ticket.id), now=NOW, review_after_days=REVIEW_AFTER_DAYS
        )
    ]
    return sorted(picked, key=lambda row: triage_key(row[0]))


def _expected_waiting(
    session: Session, skip: frozenset[int] = frozenset()
) -> list[tuple[Ticket, Any]]:
    picked = []
    for ticket in session.exec(select(Ticket)).all():
        found = client_waiting(
            ticket,
            now=NOW,
            calendar=CALENDAR,
            waiting_hours=WAITING_HOURS,
            no_reply_days=NO_REPLY_DAYS,
        )
        if found is not None and ticket.id not in skip:
            picked.append((ticket, found.since))
    return sorted(picked, key=lambda row: (row[1], row[0].id))


def _ids(rows: list[tuple[Ticket, Any]]) -> list[tuple[int, Any]]:
    return [(ticket.id, value) for ticket, value in rows]


def _by_assignee(rows: list[tuple[Ticket, Any]], limit: int) -> dict[Any, tuple[list[Any], int]]:
    grouped: dict[Any, list[tuple[Ticket, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[0].assignee_id].append(row)
    return {key: (_ids(found[:limit]), len(found)) for key, found in grouped.items()}


def _got(found: dict[Any, Shortlist]) -> dict[Any, tuple[list[Any], int]]:
    return {key: (_ids(shortlist.rows), shortlist.total) for key, shortlist in found.items()}


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        _seed(session, random.Random(20261027), 400)
    return engine


def test_the_review_rule_in_sql_is_the_rule(seeded: Engine) -> None:
    selection = needing_review(now=NOW, review_after_days=REVIEW_AFTER_DAYS)
    with Session(seeded) as session:
        expected = _expected_reviews(session)
        assert 50 < len(expected) < 400  # the sample exercises both outcomes
        team = shortlists(session, selection, limit=1000)
        assert _ids(team[None].rows) == _ids(expected)
        assert team[None].total == len(expected)
        first = shortlists(session, selection, limit=7)
        assert _ids(first[None].rows) == _ids(expected[:7]) and first[None].total == len(expected)
        assert _got(shortlists(session, selection, limit=5, by_assignee=True)) == _by_assignee(
            expected, 5
        )
        narrowed = shortlists(session, selection, limit=1000, assignees=[None, 902])
        assert _ids(narrowed[None].rows) == _ids(
            [row for row in expected if row[0].assignee_id in (None, 902)]
        )


def test_the_waiting_rule_in_sql_is_the_rule(seeded: Engine) -> None:
    selection = clients_waiting(CUTOFFS)
    with Session(seeded) as session:
        expected = _expected_waiting(session)
        assert 50 < len(expected) < 400
        team = shortlists(session, selection, limit=1000)
        assert _ids(team[None].rows) == _ids(expected)
        assert team[None].total == len(expected)
        assert _got(shortlists(session, selection, limit=4, by_assignee=True)) == _by_assignee(
            expected, 4
        )


def test_tickets_a_sent_digest_carried_today_are_left_out(seeded: Engine) -> None:
    with Session(seeded) as session:
        waiting = _expected_waiting(session)
    carried, unsent, yesterday = waiting[0][0].id, waiting[1][0].id, waiting[2][0].id
    digest(seeded, "k1", [carried], TODAY, sent=True)
    digest(seeded, "k2", [unsent], TODAY, sent=False)
    digest(seeded, "k3", [yesterday], TODAY - timedelta(days=1), sent=True)
    selection = clients_waiting(CUTOFFS, not_nudged=("client-waiting", TODAY))
    with Session(seeded) as session:
        team = shortlists(session, selection, limit=1000)
        assert _ids(team[None].rows) == _ids(_expected_waiting(session, skip=frozenset({carried})))
        other_job = shortlists(session, clients_waiting(CUTOFFS, not_nudged=("x", TODAY)), limit=1)
        assert other_job[None].total == len(waiting)


def test_nothing_selected_is_an_empty_answer(engine: Engine) -> None:
    with Session(engine) as session:
        assert shortlists(session, clients_waiting(CUTOFFS), limit=5) == {}
        assert shortlists(session, needing_review(now=NOW, review_after_days=7), limit=5) == {}


def test_the_cutoffs_fall_where_the_thresholds_do() -> None:
    # Tuesday 10:15 GMT: 4 working hours back is Monday 14:45; 2 working days is Friday 10:15.
    assert CUTOFFS.client_wrote_by == datetime(2026, 10, 26, 14, 45, tzinfo=UTC)
    assert CUTOFFS.replied_by == datetime(2026, 10, 23, 9, 15, tzinfo=UTC)  # 10:15 BST
    assert isinstance(TODAY, date)


def test_counting_stops_at_the_limit(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.store.shortlists.COUNT_LIMIT", 5)
    selection = needing_review(now=NOW, review_after_days=REVIEW_AFTER_DAYS)
    with Session(seeded) as session:
        expected = _by_assignee(_expected_reviews(session), 3)
        found = shortlists(session, selection, limit=3, by_assignee=True)
        team = shortlists(session, selection, limit=3)[None]
    assert {key: _ids(s.rows) for key, s in found.items()} == {
        key: rows for key, (rows, _) in expected.items()
    }
    for key, (_, total) in expected.items():
        assert (found[key].total, found[key].more_than) == (min(total, 5), total > 5)
    assert team.total == sum(min(total, 5) for _, total in expected.values())
    assert team.more_than


def test_the_lists_walk_their_indexes_without_sorting(tmp_path: Path) -> None:
    """SQLite uses a partial or expression index only for SQL spelled as the index spells it:
    each query the lists run must search an index, and sort nothing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        _seed(session, random.Random(7), 300)
    ran: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM ticket" in statement:
            ran.append((statement, parameters))

    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    with Session(engine) as session:
        shortlists(session, needing_review(now=NOW, review_after_days=7), limit=5)
        shortlists(session, clients_waiting(CUTOFFS, not_nudged=("client-waiting", TODAY)), limit=5)
    sqlalchemy.event.remove(engine, "before_cursor_execute", record)
    plans = []
    with engine.connect() as connection:
        for statement, parameters in ran:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append(" / ".join(str(row[-1]) for row in plan))
    engine.dispose()
    ordered = [plan for plan in plans if "ix_ticket_open_" in plan]
    assert len(ordered) >= 3, plans
    for plan in plans:
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
        assert "SCAN ticket" not in plan, plan
    for index in (
        "ix_ticket_open_triage",
        "ix_ticket_open_client_wrote",
        "ix_ticket_open_unanswered",
    ):
        assert any(index in plan for plan in plans), (index, plans)
