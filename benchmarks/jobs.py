"""Job scaling: every job's pure `due()` at 1k, 10k and 100k open tickets, on SQLite and PostgreSQL.

The data grows in place (1k, then 9k more, then 90k more), so each database is seeded once with
bulk inserts. Each due() is timed three times in a row at each size, its median kept. The
mirror keeps a summary of each ticket's comments rather than the comments themselves, so
"proportional comments" are the summary columns every seeded ticket carries.
"""

from __future__ import annotations

import inspect
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from benchmarks.common import (
    PG_SKIP,
    RESULTS,
    Check,
    check,
    migrated_sqlite,
    remove_sqlite,
    report,
    scratch_postgres,
    skipped,
)
from bot.jobs import all_jobs
from bot.settings import Settings
from bot.store.audit import AuditEvent
from bot.store.db import make_engine
from bot.store.digest_lines import DigestLine
from bot.store.nudge_ledger import Nudge
from bot.store.priority_reviews import PriorityReview
from bot.store.promises import Promise
from bot.store.rota import Absence, Rota, RotaMember, RotaWeek
from bot.store.tickets import Ticket
from bot.store.zendesk_people import ZendeskOrganization, ZendeskUser

SIZES = (1_000, 10_000, 100_000)
# Friday 15:00 in London: handover, weekly summary and the nudges are all due.
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
DUE_LIMIT = 1.0
GROWTH_LIMIT = 3.0
# A due() still running after this long is stopped: it has failed its target many times over.
BUDGET = 15.0
# Each due() is timed this many times in a row and its median kept: one timing of a 50 ms
# call on this machine moved by 2× from run to run, and the 10k→100k ratio with it.
TIMINGS = 3
AGENTS = 20
ORGANIZATIONS = 200
MEMBERS = 8
ROTA_CHANNEL = "CROTA"
STATUSES = ("new", "open", "open", "open", "pending", "hold")
PRIORITIES = ("urgent", "high", "normal", "normal", "normal", "low", None)
ZENDESK_URL = "https://acme.zendesk.com"
SETTINGS = Settings(
    zendesk_url=ZENDESK_URL, zendesk_email="bot@example.com", zendesk_api_token="zd-token"
)


class OverBudget(Exception):
    """A due() ran past BUDGET seconds."""


@dataclass
class Timing:
    seconds: float
    queries: int
    finished: bool
    result: str
    # The statement run most often, and how often: an N+1 shows up here.
    top_statement: str = ""
    top_count: int = 0


@dataclass
class Seeder:
    """Appends rows so the database holds `size` open tickets and data in proportion."""

    engine: Engine
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    tickets: int = 0

    def grow_to(self, size: int) -> None:
        first, self.tickets = self.tickets, size
        if first == 0:
            self._fixed()
        ids = range(first + 1, size + 1)
        with self.engine.begin() as connection:
            self._insert(connection, ZendeskUser, [self._requester(i) for i in ids if i % 10 == 0])
            self._insert(connection, Ticket, [self._ticket(i) for i in ids])
            self._insert(connection, Promise, [self._promise(i) for i in ids if i % 10 == 0])
            self._insert(connection, PriorityReview, [self._review(i) for i in ids if i % 2 == 0])
            lines = [self._digest_line(i) for i in ids if i % 20 == 0]
            self._insert(connection, DigestLine, lines)
            self._insert(connection, Nudge, [self._nudge(line) for line in lines])
            self._insert(connection, AuditEvent, [self._audit(i) for i in ids if i % 100 == 0])
            self._insert(connection, RotaWeek, self._weeks(first, size))

    @staticmethod
    def _insert(connection: Any, table: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        if rows:
            connection.execute(insert(table.__table__), rows)  # type: ignore[attr-defined]

    def _fixed(self) -> None:
        with self.engine.begin() as connection:
            self._insert(
                connection,
                ZendeskOrganization,
                [{"id": 500_000 + n, "name": f"Client {n}"} for n in range(ORGANIZATIONS)],
            )
            self._insert(
                connection,
                ZendeskUser,
                [
                    {
                        "id": 900 + n,
                        "name": f"Agent {n}",
                        "email": f"agent{n}@example.com",
                        "role": "agent",
                        "slack_user_id": f"UAGENT{n}",
                        "slack_checked_at": NOW,
                    }
                    for n in range(AGENTS)
                ],
            )
            self._insert(
                connection,
                Rota,
                [
                    {
                        "id": 1,
                        "channel_id": ROTA_CHANNEL,
                        "created_by": "UAGENT0",
                        "created_at": NOW - timedelta(days=800),
                        "default_lead": "UAGENT0",
                        "ical_secret": "bench-secret",
                    }
                ],
            )
            self._insert(
                connection,
                RotaMember,
                [
                    {"rota_id": 1, "user_id": f"UAGENT{n}", "position": n + 1}
                    for n in range(MEMBERS)
                ],
            )
            self._insert(
                connection,
                Absence,
                [
                    {
                        "user_id": "UAGENT3",
                        "first_day": NOW.date(),
                        "last_day": NOW.date(),
                        "created_by": "UAGENT3",
                        "created_at": NOW - timedelta(days=3),
                    }
                ],
            )

    def _when(self, days: float) -> datetime:
        return NOW - timedelta(minutes=self.rng.randrange(1, int(days * 24 * 60)))

    def _requester(self, i: int) -> dict[str, Any]:
        return {
            "id": 1_000_000 + i,
            "name": f"Client person {i}",
            "email": f"c{i}@example.org",
            "role": "end-user",
        }

    def _ticket(self, i: int) -> dict[str, Any]:
        created = self._when(120)
        updated = min(NOW - timedelta(minutes=1), created + timedelta(days=self.rng.random() * 20))
        client_at = updated - timedelta(hours=self.rng.random() * 48)
        reply_at = client_at + timedelta(hours=self.rng.uniform(-24, 6))
        priority = self.rng.choice(PRIORITIES)
        return {
            "id": i,
            "subject": f"Ticket {i}: the export fails on large files",
            "status": self.rng.choice(STATUSES),
            "priority": priority,
            "previous_priority": self.rng.choice(PRIORITIES) if i % 7 == 0 else None,
            "requester_id": 1_000_000 + (i // 10) * 10 if i >= 10 else 1_000_010,
            "assignee_id": 900 + i % AGENTS if i % 4 else None,
            "organization_id": 500_000 + i % ORGANIZATIONS if i % 5 else None,
            "tags": ["bench", f"area-{i % 9}"],
            "created_at": created,
            "updated_at": updated,
            "last_agent_public_reply_at": min(reply_at, NOW) if i % 3 else None,
            "last_agent_public_reply_by": 900 + i % AGENTS if i % 3 else None,
            "last_requester_comment_at": client_at,
            "last_comment_id": i * 10 + 3,
            "synced_at": NOW - timedelta(minutes=5),
        }

    def _promise(self, i: int) -> dict[str, Any]:
        made = self._when(10)
        return {
            "ticket_id": i,
            "owner": f"UAGENT{i % MEMBERS}",
            "due_at": NOW + timedelta(hours=self.rng.uniform(-72, 160)),
            "made_at": made,
            "note": "send the fix",
            "source": "detected" if i % 3 == 0 else "command",
            "comment_id": i * 10 + 1 if i % 3 == 0 else None,
            "state": "open" if i % 4 else "kept",
            "created_at": made,
            "created_by": f"UAGENT{i % MEMBERS}",
        }

    def _review(self, i: int) -> dict[str, Any]:
        return {
            "ticket_id": i,
            "reviewed_by": f"UAGENT{i % MEMBERS}",
            "reviewed_at": self._when(30),
            "priority_set": None,
            "source": "card",
        }

    def _digest_line(self, i: int) -> dict[str, Any]:
        day = (NOW - timedelta(days=1 + i % 3)).date()
        return {
            "job": "client-waiting",
            "message_key": f"client-waiting:bench:{i}",
            "ticket_id": i,
            "recipient": f"UAGENT{i % MEMBERS}",
            "day": day,
            "since": NOW - timedelta(days=4),
        }

    @staticmethod
    def _nudge(line: dict[str, Any]) -> dict[str, Any]:
        sent = datetime.combine(line["day"], datetime.min.time(), UTC) + timedelta(hours=10)
        return {
            "key": line["message_key"],
            "job": line["job"],
            "recipient": line["recipient"],
            "claimed_at": sent,
            "attempts": 1,
            "sent_at": sent,
        }

    def _audit(self, i: int) -> dict[str, Any]:
        return {
            "at": self._when(60),
            "actor": "UAGENT1",
            "action": "rota.swap.accepted",
            "scope": ROTA_CHANNEL,
            "detail": {"n": i},
        }

    @staticmethod
    def _weeks(first: int, size: int) -> list[dict[str, Any]]:
        """Rota history in proportion: a week per thousand tickets, up to next week."""
        monday = NOW.date() - timedelta(days=NOW.weekday())
        have, want = max(2, first // 1000) if first else 0, max(2, size // 1000)
        rows = []
        for back in range(have, want):
            week: date = monday + timedelta(days=7) - timedelta(weeks=back)
            user = f"UAGENT{back % MEMBERS}"
            rows.append(
                {
                    "rota_id": 1,
                    "week_start": week,
                    "planned_user": user,
                    "planned_position": back % MEMBERS + 1,
                    "user_id": user,
                    "kind": "planned",
                    "partner": None,
                }
            )
        return rows


def due_functions() -> dict[str, Callable[..., Any]]:
    """Each job's `due`, found in the module its run() comes from (sync has none)."""
    found = {}
    for name, job in all_jobs().items():
        module = sys.modules[job.run.__module__]
        due = getattr(module, "due", None)
        if callable(due):
            found[name] = due
    return found


KNOWN_ARGUMENTS: dict[str, Any] = {
    "settings": SETTINGS,
    "calendar": SETTINGS.calendar(),
    "zendesk_url": ZENDESK_URL,
    "review_after_days": SETTINGS.review_after_days,
    "waiting_hours": SETTINGS.client_waiting_hours,
    "client_waiting_hours": SETTINGS.client_waiting_hours,
    "no_reply_days": SETTINGS.no_reply_days,
}


def arguments(due: Callable[..., Any]) -> dict[str, Any]:
    """Keyword arguments for due(session, now, *, ...) from its signature."""
    wanted = {}
    for name, parameter in list(inspect.signature(due).parameters.items())[2:]:
        if name in KNOWN_ARGUMENTS:
            wanted[name] = KNOWN_ARGUMENTS[name]
        elif parameter.default is inspect.Parameter.empty:
            raise TypeError(f"the benchmark does not know what to pass as {name!r}")
    return wanted


def _shape(statement: str) -> str:
    """The statement without its literal values, so repeats of one query count together."""
    return re.sub(r"\s+", " ", re.sub(r"\(\s*[?%][^)]*\)", "(…)", statement)).strip()[:160]


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise OverBudget()

    previous = signal.signal(signal.SIGALRM, stop)
    # It fires again every half second: Python ignores an exception raised inside a finalizer.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def time_due(engine: Engine, due: Callable[..., Any]) -> Timing:
    statements: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements[_shape(statement)] += 1

    try:
        kwargs = arguments(due)
    except TypeError as error:
        return Timing(0.0, 0, False, str(error))
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    finished, result = True, ""
    session = Session(engine)
    try:
        with _time_limit(BUDGET):
            result = _describe(due(session, NOW, **kwargs))
        session.close()
    except Exception as error:
        # SQLAlchemy wraps the alarm's exception when it lands inside a statement.
        if not isinstance(error, OverBudget) and not isinstance(
            getattr(error, "orig", None), OverBudget
        ):
            session.close()
            raise
        # The alarm may have cut a statement short: drop the connection, never reuse it.
        session.invalidate()
        finished, result = False, f"stopped after {BUDGET:.0f} s"
    finally:
        seconds = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
    top, top_count = statements.most_common(1)[0] if statements else ("", 0)
    return Timing(seconds, sum(statements.values()), finished, result, top, top_count)


def median_timing(engine: Engine, due: Callable[..., Any]) -> Timing:
    """TIMINGS timings of one due(), the median kept; one that was stopped stands alone (the
    budget is spent: timing it again would tell nothing more)."""
    timings = [time_due(engine, due)]
    while timings[-1].finished and len(timings) < TIMINGS:
        timings.append(time_due(engine, due))
    if not timings[-1].finished:
        return timings[-1]
    return sorted(timings, key=lambda timing: timing.seconds)[len(timings) // 2]


def _describe(outcome: Any) -> str:
    for name in ("messages", "digests"):
        if hasattr(outcome, name):
            return f"{len(getattr(outcome, name))} messages"
    return f"{len(outcome)} items" if hasattr(outcome, "__len__") else type(outcome).__name__


def measure(engine: Engine, label: str, timings: dict[str, dict[int, Timing]]) -> None:
    seeder = Seeder(engine)
    dues = due_functions()
    for size in SIZES:
        started = time.perf_counter()
        seeder.grow_to(size)
        if engine.dialect.name == "postgresql":
            # A live PostgreSQL has table statistics: autovacuum gathers them within a minute
            # of a load like this. Planning without them (six unassigned tickets, it guesses)
            # is not what the jobs meet, so gather them now rather than wait. SQLite, which
            # never gathers any unless asked, is measured without.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"  {label}: seeded {size:,} open tickets in {time.perf_counter() - started:.1f} s")
        for name, due in dues.items():
            timing = median_timing(engine, due)
            timings.setdefault(name, {})[size] = timing
            print(
                f"  {label} {size:>7,} {name:<16} {timing.seconds * 1000:9.1f} ms "
                f"{timing.queries:>7,} queries  {timing.result}"
            )


def checks_for(label: str, timings: dict[str, dict[int, Timing]]) -> list[Check]:
    found = []
    for name, by_size in timings.items():
        big, mid = by_size[SIZES[-1]], by_size[SIZES[-2]]
        seconds = f"{big.seconds:,.2f} s" + ("" if big.finished else "+ (stopped)")
        queries = f"{big.queries:,} queries at 100k ({mid.queries:,} at 10k)"
        repeated = f"; runs `{big.top_statement}` {big.top_count:,}×" if big.top_count > 10 else ""
        found.append(
            Check(
                f"{label} {name} due() at 100k < {DUE_LIMIT:g} s",
                seconds,
                big.finished and big.seconds < DUE_LIMIT,
                queries + repeated,
            )
        )
        growth = big.seconds / max(mid.seconds, 1e-6)
        if big.finished and mid.finished:
            found.append(
                check(
                    f"{label} {name} time 10k→100k ≤ {GROWTH_LIMIT:g}×",
                    growth,
                    GROWTH_LIMIT,
                    "×",
                    note=f"{mid.seconds * 1000:,.0f} ms → {big.seconds * 1000:,.0f} ms",
                )
            )
        else:
            # A stopped run gives only a lower bound, which cannot show the target held.
            found.append(
                Check(
                    f"{label} {name} time 10k→100k ≤ {GROWTH_LIMIT:g}×",
                    f"≥ {growth:.2f} ×",
                    False,
                    f"{mid.seconds * 1000:,.0f} ms → stopped at {BUDGET:g} s; queries "
                    f"{mid.queries:,} → {big.queries:,}+",
                )
            )
    return found


def run() -> list[Check]:
    checks: list[Check] = []
    data: dict[str, Any] = {"sizes": SIZES, "now": NOW.isoformat(), "budget_s": BUDGET}
    sqlite_timings: dict[str, dict[int, Timing]] = {}
    path = RESULTS / "jobs-bench.db"
    RESULTS.mkdir(exist_ok=True)
    engine = make_engine(migrated_sqlite(path))
    try:
        measure(engine, "SQLite", sqlite_timings)
    finally:
        engine.dispose()
        remove_sqlite(path)
    checks += checks_for("SQLite", sqlite_timings)
    data["sqlite"] = _as_data(sqlite_timings)
    with scratch_postgres("jobs") as pg_url:
        if pg_url is None:
            checks += [skipped(f"PostgreSQL {name} due()", PG_SKIP) for name in due_functions()]
        else:
            pg_timings: dict[str, dict[int, Timing]] = {}
            engine = make_engine(pg_url)
            try:
                measure(engine, "PostgreSQL", pg_timings)
            finally:
                engine.dispose()
            checks += checks_for("PostgreSQL", pg_timings)
            data["postgresql"] = _as_data(pg_timings)
    checks += [
        skipped(f"{name} due()", "this job has no due(); the sync benchmark measures it")
        for name in all_jobs()
        if name not in due_functions()
    ]
    return report("jobs", "Job scaling: due() at 1k / 10k / 100k open tickets", checks, data)


def _as_data(timings: dict[str, dict[int, Timing]]) -> dict[str, Any]:
    return {
        name: {str(size): vars(timing) for size, timing in by_size.items()}
        for name, by_size in timings.items()
    }


if __name__ == "__main__":
    run()
