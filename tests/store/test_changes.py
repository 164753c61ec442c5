"""Answers remembered until their tables change, in any process: counts, expiry, bursts."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import select

from bot.store.audit import audit_events
from bot.store.bulk_writes import table_of
from bot.store.changes import (
    REQUEST_COUNTS_KEPT,
    REVIEWS,
    ROTA,
    TICKET_CARD,
    carrying_counts,
    counted_transaction,
    one_request,
    read_with_request,
)
from bot.store.db import make_engine, session_scope
from bot.store.priority_reviews import (
    PriorityReview,
    last_priority_review,
    write_priority_review,
)
from bot.store.remembered import Remembered
from bot.store.rota import PENDING, Absence, SwapRequest, add_absence, create_rota
from bot.store.rota_cover import MidWeekCover, midweek_cover, set_cover_dm
from bot.store.rota_swaps import ASKED, add_swap_request, ask_for_swap, set_swap_dm, swap_request
from bot.store.slack_requests import remember_slack_request
from tests.store.sources import Source
from tests.store.statements_seen import statements_seen

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_until_a_commit_writes_a_watched_table(engine: Engine) -> None:
    clock, source = Clock(), Source(engine)
    answers: Remembered[int] = Remembered(ROTA, max_age=30, clock=clock)
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    def get(key: str = "k", keep: bool = True) -> int:
        return answers.get_or_read(key, read, keep=lambda _: keep, source=source)

    assert get() == 1
    assert get() == 1
    # A commit that writes no watched table, or another watch's, changes nothing.
    with session_scope(engine) as session:
        session.connection()
    assert get() == 1
    assert answers.fresh("k", source) == (1,)
    before = TICKET_CARD.generation(source)
    with session_scope(engine) as session:
        create_rota(session=session, channel_id="C9", created_by="U1", now=NOW)
    assert TICKET_CARD.generation(source) == before
    assert answers.fresh("k", source) is None
    assert get() == 2
    # A write rolled back is no change.
    try:
        with session_scope(engine) as session:
            create_rota(session=session, channel_id="C8", created_by="U1", now=NOW)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert get() == 2
    # Too old: read again, whatever the count says.
    clock.now = 31
    assert get() == 3
    # An answer `keep` refuses is never remembered.
    assert get("other", keep=False) == 4
    assert get("other", keep=False) == 5


def test_another_engine_s_commit_is_seen_at_once(db_url: str) -> None:
    """Two engines stand for two processes: each counts what the other commits."""
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        answers: Remembered[str] = Remembered(ROTA)
        here, there = Source(first), Source(second)
        assert answers.get_or_read("k", lambda: "old", keep=lambda _: True, source=here) == "old"
        with session_scope(second) as session:
            create_rota(session=session, channel_id="C9", created_by="U1", now=NOW)
        assert answers.fresh("k", here) is None
        assert answers.get_or_read("k", lambda: "new", keep=lambda _: True, source=here) == "new"
        # A savepoint's writes count at the outer commit.
        with session_scope(second) as session, session.begin_nested():
            add_absence(
                session=session,
                user_id="U1",
                first_day=NOW.date(),
                last_day=NOW.date(),
                created_by="U1",
                now=NOW,
            )
        assert answers.fresh("k", here) is None
        assert answers.get_or_read("k", lambda: "3", keep=lambda _: True, source=there) == "3"
        # And so do bulk statements in a session.
        with session_scope(first) as session:
            session.exec(update(table_of(Absence)).values(created_by="U2"))  # type: ignore[call-overload]
        assert answers.fresh("k", there) is None
    finally:
        first.dispose()
        second.dispose()


def test_a_burst_of_misses_waits_for_one_read(engine: Engine) -> None:
    answers: Remembered[str] = Remembered(ROTA)
    source = Source(engine)
    started, release = threading.Event(), threading.Event()
    reads: list[int] = []

    def slow_read() -> str:
        reads.append(1)
        started.set()
        release.wait(5)
        return "rota"

    def get() -> str:
        return answers.get_or_read("k", slow_read, keep=lambda _: True, source=source)

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(get)
        assert started.wait(5)
        others = [pool.submit(get) for _ in range(7)]
        release.set()
        assert [f.result(5) for f in [first, *others]] == ["rota"] * 8
    assert len(reads) == 1


def test_counts_read_with_the_request_serve_its_answers_until_it_writes(
    engine: Engine,
) -> None:
    """The door reads every count with the request; the thread's own write makes them stale."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    source = Source(engine)
    with one_request():
        read_with_request({"rota": 41})
        assert ROTA.generation(source) == 41
        assert TICKET_CARD.generation(source) == 0  # not written yet anywhere
        assert statements == []
        # Another thread answers another request: it reads for itself.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(ROTA.generation, source).result() == 0
        with session_scope(engine) as session:
            create_rota(session=session, channel_id="C7", created_by="U1", now=NOW)
        assert ROTA.generation(source) == 1  # read again (not 41), after its own write
    # The request is over: the next one in this thread reads the count again.
    read_with_request({"rota": 41})
    with one_request():
        assert ROTA.generation(source) == 1


def test_work_handed_to_another_thread_carries_its_requests_counts(engine: Engine) -> None:
    """The work after an ack runs on the work pool: the counts read with the request serve
    it there too, until it writes; work for no request reads for itself."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    source = Source(engine)

    def work() -> tuple[int, int]:
        before = ROTA.generation(source)
        with session_scope(engine) as session:
            create_rota(session=session, channel_id="C8", created_by="U1", now=NOW)
        return before, ROTA.generation(source)

    with ThreadPoolExecutor(1) as pool:
        with one_request():
            read_with_request({"rota": 41})
            carried = carrying_counts(work)
        assert pool.submit(carried).result() == (41, 1)  # its own write: read again after
        assert pool.submit(ROTA.generation, source).result() == 1  # forgotten with the work
        with one_request():
            assert carrying_counts(work) is work  # no counts: nothing to carry


def reviewed(by: str) -> PriorityReview:
    return PriorityReview(ticket_id=7, reviewed_by=by, reviewed_at=NOW, source="card")


def test_a_write_with_no_session_counts_as_a_sessions_does(engine: Engine) -> None:
    """counted_write and counted_transaction bump the watches they name when they commit,
    seen by another engine on the same database (another process), and nothing when they
    roll back."""
    other = make_engine(str(engine.url))
    try:
        source, elsewhere = Source(engine), Source(other)
        assert REVIEWS.generation(elsewhere) == 0
        review = write_priority_review(engine, reviewed("U1"))  # counted_write
        assert review.id is not None
        assert (REVIEWS.generation(elsewhere), TICKET_CARD.generation(elsewhere)) == (1, 0)
        with counted_transaction(engine, REVIEWS, TICKET_CARD) as connection:
            connection.execute(
                insert(table_of(PriorityReview)), [reviewed("U2").model_dump(exclude={"id"})]
            )
        assert (REVIEWS.generation(elsewhere), TICKET_CARD.generation(elsewhere)) == (2, 1)
        with pytest.raises(RuntimeError), counted_transaction(engine, REVIEWS) as connection:
            connection.execute(
                insert(table_of(PriorityReview)), [reviewed("U3").model_dump(exclude={"id"})]
            )
            raise RuntimeError("the write fails after its insert")
        assert REVIEWS.generation(source) == 2
        with session_scope(other) as session:
            found = last_priority_review(session=session, ticket_id=7)
            every = session.exec(select(PriorityReview)).all()
        assert found is not None and found.reviewed_by == "U2"
        assert sorted(r.reviewed_by for r in every) == ["U1", "U2"]
        assert review.id in {r.id for r in every}
    finally:
        other.dispose()


def test_a_swap_asked_with_no_session_is_written_with_its_audit_line(engine: Engine) -> None:
    """ask_for_swap: the request and its audit line, the rota's count bumped where another
    process sees it; on PostgreSQL all in one statement, committed by itself."""
    other = make_engine(str(engine.url))
    try:
        with session_scope(engine) as session:
            rota = create_rota(session=session, channel_id="C5", created_by="U1", now=NOW)
            assert rota.id is not None
        before = ROTA.generation(Source(other))
        seen = statements_seen(engine)
        asked = ask_for_swap(
            engine,
            SwapRequest(
                rota_id=rota.id,
                requester="U1",
                target="U2",
                requester_week=date(2026, 12, 7),
                target_week=date(2026, 12, 14),
                created_at=NOW,
            ),
            channel_id="C5",
        )
        assert asked.id is not None
        assert ROTA.generation(Source(other)) == before + 1
        if engine.dialect.name == "postgresql":
            ((statement, autocommit),) = seen.statements
            assert " ".join(statement.split()).startswith(
                "WITH written AS (INSERT INTO swap_request"
            )
            assert autocommit and seen.commits == 0
        with session_scope(other) as session:
            found = swap_request(session=session, request_id=asked.id)
            (line,) = audit_events(session=session, scope="C5")
        assert found is not None
        assert (found.requester, found.target, found.requester_week, found.target_week) == (
            "U1",
            "U2",
            date(2026, 12, 7),
            date(2026, 12, 14),
        )
        assert (found.status, found.created_at, found.dm_ts) == (PENDING, NOW, None)
        assert (line.actor, line.action, line.at) == ("U1", ASKED, NOW)
        assert line.detail == {"request": asked.id, "target": "U2"}
    finally:
        other.dispose()


def test_counts_read_with_a_request_too_long_ago_are_read_again(engine: Engine) -> None:
    """Work that waited (on Slack, behind other work) does not answer from counts older than
    REQUEST_COUNTS_KEPT: a write another process committed meanwhile is seen."""
    source = Source(engine)
    with session_scope(engine) as session:
        create_rota(session=session, channel_id="C6", created_by="U1", now=NOW)
    long_ago = time.monotonic() - REQUEST_COUNTS_KEPT - 0.1
    with one_request():
        read_with_request({"rota": 41}, read_at=long_ago)
        assert ROTA.generation(source) == 1
    with one_request():
        read_with_request({"rota": 41}, read_at=long_ago)
        with ThreadPoolExecutor(1) as pool:
            work = carrying_counts(lambda: ROTA.generation(source))
            assert pool.submit(work).result() == 1  # nothing carried: read afresh
        read_with_request({"rota": 41})
        with ThreadPoolExecutor(1) as pool:
            work = carrying_counts(lambda: ROTA.generation(source))
            assert pool.submit(work).result() == 41


def test_the_door_reads_every_count_with_the_request(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with session_scope(engine) as session:
            create_rota(session=session, channel_id="C7", created_by="U1", now=NOW)
        first = remember_slack_request(engine, signature="v0=counts", signed_at=NOW)
        assert first is not None and first.counts == {"rota": 1, "rota_plan": 1}
        assert remember_slack_request(engine, signature="v0=counts", signed_at=NOW) is None
    finally:
        engine.dispose()


def test_where_a_dm_went_is_written_without_forgetting_the_rota(engine: Engine) -> None:
    """A swap's or cover's DM location is shown by no answer: storing it bumps no count."""
    source = Source(engine)
    with session_scope(engine) as session:
        rota = create_rota(session=session, channel_id="C9", created_by="U1", now=NOW)
        assert rota.id is not None
        asked = add_swap_request(
            session=session,
            request=SwapRequest(
                rota_id=rota.id,
                requester="U1",
                target="U2",
                requester_week=NOW.date(),
                target_week=NOW.date(),
                created_at=NOW,
            ),
        )
        cover = MidWeekCover(
            rota_id=rota.id,
            week_start=NOW.date(),
            absent="U1",
            first_day=NOW.date(),
            last_day=NOW.date(),
            asked="U2",
            created_at=NOW,
        )
        session.add(cover)
        session.flush()
        ids = asked.id, cover.id
    assert ids[0] is not None and ids[1] is not None
    before = ROTA.generation(source)
    with session_scope(engine) as session:
        set_cover_dm(session=session, cover_id=ids[1], channel="DU2", ts="2.2")
    # As send_all writes it: no session, so no count; one UPDATE, committed by itself (on
    # SQLite BEGIN and COMMIT never reach the cursor, so autocommit is what tells).
    seen = statements_seen(engine)
    set_swap_dm(engine, request_id=ids[0], channel="DU2", ts="1.1")
    assert [(s.split()[:2], autocommit) for s, autocommit in seen.statements] == [
        (["UPDATE", "swap_request"], True)
    ]
    assert seen.commits == 0
    assert ROTA.generation(source) == before
    with session_scope(engine) as session:
        found = swap_request(session=session, request_id=ids[0])
        covered = midweek_cover(session=session, cover_id=ids[1])
        assert found is not None and (found.dm_channel, found.dm_ts) == ("DU2", "1.1")
        assert covered is not None and (covered.dm_channel, covered.dm_ts) == ("DU2", "2.2")


def test_a_write_with_no_session_converts_its_values_as_the_columns_do(engine: Engine) -> None:
    """counted_write (through the driver on PostgreSQL) stores an instant given in another
    zone as the same instant in UTC, refuses a naive one as a session would, and writes
    nothing then; its row's columns are attributes of what it returns."""
    paris = timezone(timedelta(hours=1))
    given = PriorityReview(
        ticket_id=8,
        reviewed_by="U1",
        reviewed_at=NOW.astimezone(paris),
        priority_set="high",
        source="card",
    )
    review = write_priority_review(engine, given)
    assert review.id is not None
    with pytest.raises(StatementError, match="naive datetime"):
        write_priority_review(
            engine,
            PriorityReview(
                ticket_id=8, reviewed_by="U2", reviewed_at=NOW.replace(tzinfo=None), source="card"
            ),
        )
    with session_scope(engine) as session:
        (found,) = session.exec(select(PriorityReview).where(PriorityReview.ticket_id == 8)).all()
    assert (found.id, found.reviewed_at, found.reviewed_at.tzinfo) == (review.id, NOW, UTC)
    assert (found.priority_set, found.source) == ("high", "card")
