"""Remembering answers read from the database until the tables they came from change, in any
process that shares the database.

A `Watch` names a set of tables. Every commit, in any process, that wrote one of them (through
the ORM or through bulk statements in an ORM session) adds one to the watch's row in
`change_count`, in the same transaction as the write, just before it commits. An answer is
remembered with the count read before it was read; it is good while the count is unchanged.
Reading the count is one primary-key lookup, so a write through one web process, or the
worker's sync, is seen by every other process's next answer.

The count is bumped last in its transaction, and several watches in name order, so the row lock
on PostgreSQL is held only while committing and two writers never wait on each other in turn.
The answers themselves are kept by `bot.store.remembered.Remembered`.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import BigInteger, Column, bindparam, event, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlmodel import Field, SQLModel

from bot.store.count_board import CountBoard, count_board
from bot.store.driver import driver_write

T = TypeVar("T")

log = logging.getLogger(__name__)

# Where a session keeps the names of the watches its transaction wrote to.
CHANGED = "rotabot.changed_watches"
# Where it keeps the counts it committed, to publish on a SQLite database's board.
TO_PUBLISH = "rotabot.counts_to_publish"
# An execution option for a write that changes only what no remembered answer shows (where a
# DM was posted, say): it bumps no count, so it forgets no answer.
UNSHOWN = "rotabot_unshown"


class ChangeCount(SQLModel, table=True):
    """How many commits, in every process, have written a watch's tables."""

    __tablename__ = "change_count"

    name: str = Field(primary_key=True, max_length=40)
    count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


COUNTS = ChangeCount.__table__  # type: ignore[attr-defined]
# Built once: its compiled form is then cached, and psycopg prepares it after a few runs.
_COUNT_OF = select(COUNTS.c["count"]).where(COUNTS.c.name == bindparam("name"))


class SessionSource(Protocol):
    """What a remembered answer reads with: sessions, and the engine they come from."""

    engine: Engine

    def session(self) -> AbstractContextManager[Session]: ...


# Every watch by name, and which watches each table belongs to.
_WATCHES: dict[str, Watch] = {}
_BY_TABLE: dict[str, set[str]] = {}


class Watch:
    """A set of tables whose writes, in any process, are counted under `name`."""

    name: str
    slot: int
    tables: frozenset[str]

    def __init__(self, name: str, tables: set[str], *, slot: int) -> None:
        """`slot`: the watch's own place on a SQLite database's count board (count_board)."""
        if name in _WATCHES:
            raise ValueError(f"a watch named {name!r} exists already")
        if any(watch.slot == slot for watch in _WATCHES.values()):
            raise ValueError(f"slot {slot} is another watch's")
        self.name = name
        self.slot = slot
        self.tables = frozenset(tables)
        _WATCHES[name] = self
        for table in self.tables:
            _BY_TABLE.setdefault(table, set()).add(name)

    def generation(self, source: SessionSource) -> int:
        """The count now, as committed (0 before the first write)."""
        known = _request_counts()
        if known is not None:
            return known.get(self.name, 0)
        board = _board(source.engine)
        if board is None:
            return self.committed(source.engine)
        if _BOARD_CHECKS.due(source.engine, self.slot):
            # The board is only as good as every writer's publishing: once a second, the
            # database's own count goes on it, so a writer that could not publish (killed
            # after its commit, or unable to open the board) is seen within a second.
            board.publish(self.slot, self.committed(source.engine))
        return board.read(self.slot)

    def committed(self, engine: Engine) -> int:
        """The count as committed, read from the database."""
        # One statement, outside a transaction: no BEGIN and COMMIT round trips. On the engine,
        # not in a session: read before every remembered answer, a session (and its commit
        # events) cost twice the CPU of the read itself.
        with engine.connect() as connection:
            found = (
                connection.execution_options(isolation_level="AUTOCOMMIT")
                .execute(_COUNT_OF, {"name": self.name})
                .scalar_one_or_none()
            )
        return int(found or 0)


class _Checks:
    """When each board slot was last checked against the database, per engine."""

    EVERY = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: weakref.WeakKeyDictionary[Engine, dict[int, float]] = (
            weakref.WeakKeyDictionary()
        )

    def due(self, engine: Engine, slot: int) -> bool:
        """True (once) when the slot's last check is over EVERY seconds old."""
        now = time.monotonic()
        with self._lock:
            slots = self._last.setdefault(engine, {})
            if now - slots.get(slot, float("-inf")) < self.EVERY:
                return False
            slots[slot] = now
            return True


_BOARD_CHECKS = _Checks()


def _board(engine: Engine) -> CountBoard | None:
    return count_board(engine, _counts_by_slot)


def _counts_by_slot(engine: Engine) -> dict[int, int]:
    """Every watch's count as committed, by its slot on the board."""
    with engine.connect() as connection:
        rows = connection.execute(select(COUNTS.c.name, COUNTS.c["count"])).all()
    found = {name: int(count) for name, count in rows}
    return {watch.slot: found.get(watch.name, 0) for watch in _WATCHES.values()}


# The counts read with the request this thread is answering (by the door, in the statement that
# remembers the request): its answers use them rather than reading them again.
_request = threading.local()
# How long after the door read them a request's counts stand for reading them again: work that
# has waited longer (on Slack, behind other work) reads them afresh, so an answer it gives is
# never older than this against a write another process committed meanwhile.
REQUEST_COUNTS_KEPT = 1.0


@contextmanager
def one_request() -> Iterator[None]:
    """A request this thread answers: counts read for it are forgotten when it ends."""
    _request.counts = None
    try:
        yield
    finally:
        _request.counts = None


def read_with_request(counts: Mapping[str, int], *, read_at: float | None = None) -> None:
    """Every count as committed when this thread's request arrived (as good as reading it then,
    for REQUEST_COUNTS_KEPT seconds from `read_at`, by default now).

    The thread's own writes make them stale: its next commit forgets them (`_before_commit`).
    """
    _request.counts = dict(counts)
    _request.read_at = time.monotonic() if read_at is None else read_at


def _request_counts() -> dict[str, int] | None:
    counts: dict[str, int] | None = getattr(_request, "counts", None)
    if counts is not None and time.monotonic() - _request.read_at >= REQUEST_COUNTS_KEPT:
        _request.counts = counts = None  # read too long ago: read again
    return counts


def carrying_counts(work: Callable[[], T]) -> Callable[[], T]:
    """`work`, to run on another thread for the request this thread is answering, with the
    counts read with the request (as `read_with_request`, as old as they are); `work` itself
    when there are none."""
    counts = _request_counts()
    if counts is None:
        return work
    read_at: float = _request.read_at

    def carried() -> T:
        with one_request():
            read_with_request(counts, read_at=read_at)
            return work()

    return carried


# What `/rota show` reads.
ROTA = Watch(
    "rota",
    {"rota", "rota_member", "rota_week", "absence", "client_lead", "swap_request", "midweek_cover"},
    slot=0,
)
# Everything a ticket card shows but its last priority review.
TICKET_CARD = Watch(
    "ticket_card", {"ticket", "zendesk_user", "zendesk_organization", "promise"}, slot=1
)
# Priority reviews, which clicks on cards write: apart, so a click forgets no card's facts.
REVIEWS = Watch("priority_review", {"priority_review"}, slot=2)
# Who holds which week, and who is away: what `/rota swap` reads before asking (see
# bot.rota.plans). Not swap requests, so asking for a swap forgets no plan.
ROTA_PLAN = Watch("rota_plan", {"rota", "rota_member", "rota_week", "absence"}, slot=3)


def _mark(session: Session, table: str | None) -> None:
    names = _BY_TABLE.get(table or "")
    if names:
        session.info.setdefault(CHANGED, set()).update(names)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for instance in itertools.chain(session.new, session.dirty, session.deleted):
        _mark(session, getattr(type(instance), "__tablename__", None))


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and not state.execution_options.get(
        UNSHOWN
    ):
        _mark(state.session, getattr(getattr(state.statement, "table", None), "name", None))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Bump the counts of the watches this transaction wrote, as its last statements."""
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction's commit bumps
    session.flush()  # what the commit would flush, so its tables are marked
    names: set[str] = session.info.pop(CHANGED, set())
    if names:
        _request.counts = None  # this thread's request wrote: counts read before are stale
    bind = session.get_bind()
    board = _board(bind) if isinstance(bind, Engine) else None
    for name in sorted(names):
        count = session.execute(_bump(bind.dialect.name), {"watch": name}).scalar_one()
        if board is not None:
            session.info.setdefault(TO_PUBLISH, []).append((board, _WATCHES[name].slot, count))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """The counts just committed, on the board of a SQLite database (see count_board)."""
    _publish(session.info.pop(TO_PUBLISH, []))


def _publish(counts: list[tuple[CountBoard, int, int]]) -> None:
    """Counts just committed, on a SQLite database's board (slot by slot)."""
    for board, slot, count in counts:
        try:
            board.publish(slot, count)
        except OSError as error:  # committed all the same: readers' checks catch it up
            log.error("could not publish a change count on the board: %s", error)


@contextmanager
def counted_transaction(engine: Engine, *watches: Watch) -> Iterator[Connection]:
    """A transaction on a pooled connection, with no session, for a hot write of a row or two:
    the watches it writes are named, and counted as a session's commit counts them (bumped
    last, in name order; published on a SQLite database's board once committed; this thread's
    request counts forgotten). A session's events and unit of work cost more than the write.
    """
    with engine.begin() as connection:
        yield connection
        bump = _bump(engine.dialect.name)
        counts = [
            (watch, int(connection.execute(bump, {"watch": watch.name}).scalar_one()))
            for watch in sorted(watches, key=lambda watch: watch.name)
        ]
    _request.counts = None
    board = _board(engine)
    if board is not None:
        _publish([(board, watch.slot, count) for watch, count in counts])


def counted_write(
    engine: Engine,
    statement: Any,
    values: Mapping[str, Any],
    *watches: Watch,
    then: Then | None = None,
) -> Any:
    """One write that returns one row (its RETURNING), committed with the counts of the
    watches it writes bumped in its transaction, as counted_transaction does. On PostgreSQL
    the write and its bumps are one statement in autocommit (data-modifying WITH clauses): one
    round trip, where BEGIN, the write, each bump and COMMIT were one each, run through the
    driver (driver_write). The row's columns are its attributes, on either database.

    `then`: a second write that reads the written row (an INSERT from a SELECT of it), made in
    the same statement on PostgreSQL, and after the first in its transaction elsewhere."""
    if engine.dialect.name != "postgresql":
        with counted_transaction(engine, *watches) as connection:
            row = connection.execute(statement, values).one()
            if then is not None:
                written = select(
                    *(literal(value).label(name) for name, value in row._mapping.items())
                ).subquery("written")
                connection.execute(then(written, engine.dialect.name), values)
            return row
    names = tuple(sorted(watch.name for watch in watches))
    row = driver_write(engine, _with_bumps(statement, names, then), values)
    if row is None:
        raise NoResultFound("the write returned no row")
    _request.counts = None
    return row


# A write made from the row another wrote (see counted_write): given the written row as a
# selectable and the dialect's name.
Then = Callable[[Any, str], Any]


@cache  # per statement (a module constant), watches and follow-up: built and compiled once
def _with_bumps(statement: Any, names: tuple[str, ...], then: Then | None = None) -> Any:
    written = statement.cte("written")
    bumps = [_upsert(pg_insert, literal(name)).cte(f"bump_{n}") for n, name in enumerate(names)]
    also = [] if then is None else [then(written, "postgresql").cte("followed")]
    return select(*written.c).select_from(written).add_cte(*also, *bumps)


@cache  # built once per dialect, like _COUNT_OF: every commit that writes a watch runs it
def _bump(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return _upsert(insert, bindparam("watch")).returning(COUNTS.c["count"])


def _upsert(insert: Any, name: Any) -> Any:
    """One more commit counted under the watch `name` (a bound or literal value)."""
    return (
        insert(COUNTS)
        .values(name=name, count=1)
        .on_conflict_do_update(
            index_elements=[COUNTS.c.name], set_={"count": COUNTS.c["count"] + 1}
        )
    )


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # Rolled back (a commit has taken them already): nothing was written.
        session.info.pop(CHANGED, None)
        session.info.pop(TO_PUBLISH, None)
