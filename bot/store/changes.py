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
Remembered answers also expire after `max_age` seconds, for what no table says (a card's "age").
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import BigInteger, Column, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlmodel import Field, SQLModel

T = TypeVar("T")

# Where a session keeps the names of the watches its transaction wrote to.
CHANGED = "rotabot.changed_watches"
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

    def __init__(self, name: str, tables: set[str]) -> None:
        if name in _WATCHES:
            raise ValueError(f"a watch named {name!r} exists already")
        self.name = name
        self.tables = frozenset(tables)
        _WATCHES[name] = self
        for table in self.tables:
            _BY_TABLE.setdefault(table, set()).add(name)

    def generation(self, source: SessionSource) -> int:
        """The count now, as committed (0 before the first write)."""
        known = getattr(_request, "counts", None)
        if known is not None:
            return known.get(self.name, 0)
        sqlite = sqlite_count_reader(source.engine)
        if sqlite is not None:
            return sqlite.count(self.name)
        # One statement, outside a transaction: no BEGIN and COMMIT round trips. On the engine,
        # not in a session: read before every remembered answer, a session (and its commit
        # events) cost twice the CPU of the read itself.
        with source.engine.connect() as connection:
            found = (
                connection.execution_options(isolation_level="AUTOCOMMIT")
                .execute(_COUNT_OF, {"name": self.name})
                .scalar_one_or_none()
            )
        return int(found or 0)


class SqliteCountReader:
    """The counts of one SQLite database file, read on a read-only connection of their own.

    A remembered answer reads its count first, so this is on the path of most requests: the
    pool's checkout, the statement's compiled form and the rollback on return cost ten times
    the read (15% of a `/rota` answered from memory). The read sees every commit, from any
    process, made before it started, as the engine's would.
    """

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            check_same_thread=False,
            isolation_level=None,  # each read a statement of its own, in no transaction
        )
        self._lock = threading.Lock()

    def count(self, name: str) -> int:
        with self._lock:
            row = self.connection.execute(
                "SELECT count FROM change_count WHERE name = ?", (name,)
            ).fetchone()
        return int(row[0]) if row else 0


_SQLITE_COUNTS: weakref.WeakKeyDictionary[Engine, SqliteCountReader | None] = (
    weakref.WeakKeyDictionary()
)
_SQLITE_COUNTS_LOCK = threading.Lock()


def sqlite_count_reader(engine: Engine) -> SqliteCountReader | None:
    """The reader of a SQLite file database's counts; None for PostgreSQL, or a database in
    memory (another connection would see another database)."""
    with _SQLITE_COUNTS_LOCK:
        if engine in _SQLITE_COUNTS:
            return _SQLITE_COUNTS[engine]
        found = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            try:
                found = SqliteCountReader(Path(database))
            except sqlite3.Error:
                found = None  # not there yet: the engine reads it
        _SQLITE_COUNTS[engine] = found
        return found


# The counts read with the request this thread is answering (by the door, in the statement that
# remembers the request): its answers use them rather than reading them again.
_request = threading.local()


@contextmanager
def one_request() -> Iterator[None]:
    """A request this thread answers: counts read for it are forgotten when it ends."""
    _request.counts = None
    try:
        yield
    finally:
        _request.counts = None


def read_with_request(counts: Mapping[str, int]) -> None:
    """Every count as committed when this thread's request arrived (as good as reading it then).

    The thread's own writes make them stale: its next commit forgets them (`_before_commit`).
    """
    _request.counts = dict(counts)


# What `/rota show` reads.
ROTA = Watch(
    "rota",
    {"rota", "rota_member", "rota_week", "absence", "client_lead", "swap_request", "midweek_cover"},
)
# Everything a ticket card shows.
TICKET_CARD = Watch(
    "ticket_card", {"ticket", "zendesk_user", "zendesk_organization", "priority_review", "promise"}
)


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
    for name in sorted(names):
        session.execute(_bump(session.get_bind().dialect.name), {"watch": name})


def _bump_for(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(COUNTS).values(name=bindparam("watch"), count=1)
    return statement.on_conflict_do_update(
        index_elements=[COUNTS.c.name], set_={"count": COUNTS.c["count"] + 1}
    )


# Built once per dialect, like _COUNT_OF: every commit that writes a watched table runs it.
_BUMPS = {dialect: _bump_for(dialect) for dialect in ("sqlite", "postgresql")}


def _bump(dialect: str) -> Any:
    found = _BUMPS.get(dialect)
    return _bump_for(dialect) if found is None else found


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # Rolled back (a commit has taken them already): nothing was written.
        session.info.pop(CHANGED, None)


class Remembered(Generic[T]):
    """Answers by key, each good while its watch's count is unchanged and for `max_age` s."""

    def __init__(
        self,
        watch: Watch,
        *,
        max_age: float = 30.0,
        size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watch = watch
        self.max_age = max_age
        self.size = size
        self.clock = clock
        self._answers: OrderedDict[Hashable, tuple[int, float, T]] = OrderedDict()
        self._lock = threading.Lock()
        # One lock per key being read, so a burst of misses waits for one read.
        self._reading: dict[Hashable, threading.Lock] = {}

    def get_or_read(
        self,
        key: Hashable,
        read: Callable[[], T],
        *,
        keep: Callable[[T], bool],
        source: SessionSource,
    ) -> T:
        """The remembered answer, or `read()`'s, remembered when `keep(answer)` says so.

        Requests that miss the same key together wait for one read rather than each doing it:
        after a change, a burst of requests costs one read, not one each.
        """
        # The count is taken before reading: a write committed meanwhile makes this stale.
        generation = self.watch.generation(source)
        found = self._fresh(key, generation)
        if found is not None:
            return found[0]
        with self._lock:
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:
            found = self._fresh(key, generation)
            if found is not None:
                return found[0]
            now = self.clock()
            answer = read()
            if keep(answer):
                with self._lock:
                    self._answers[key] = (generation, now, answer)
                    self._answers.move_to_end(key)
                    while len(self._answers) > self.size:
                        self._answers.popitem(last=False)
        with self._lock:
            self._reading.pop(key, None)
        return answer

    def fresh(self, key: Hashable, source: SessionSource) -> tuple[T] | None:
        """The remembered answer (in a 1-tuple) if it is still good; None to read it again."""
        return self._fresh(key, self.watch.generation(source))

    def _fresh(self, key: Hashable, generation: int) -> tuple[T] | None:
        now = self.clock()
        with self._lock:
            found = self._answers.get(key)
            if found is None or found[0] != generation or now - found[1] >= self.max_age:
                return None
            self._answers.move_to_end(key)
            return (found[2],)
