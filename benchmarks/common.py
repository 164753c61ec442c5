"""What every benchmark shares: targets and their verdicts, the table, the JSON, the processes."""

from __future__ import annotations

import bisect
import gc
import json
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.store.db import make_engine
from bot.store.migrate import upgrade
from tests import doors
from tests.fakes import slack_api, zendesk_api
from tests.fakes.zendesk_api import FakeZendesk

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
ZENDESK_EMAIL = "bot@example.com"
ZENDESK_TOKEN = "zd-token"
# The answer benchmarks time Rotabot, not Zendesk's budget: their fake account has the High
# Volume add-on's 2,500 requests a minute, and Rotabot is given all of it (no other app shares
# it there). Each /ticket for a ticket the mirror lacks costs 2-3 requests; at Rotabot's default
# share of a Team account (100 a minute) those answers would wait for the next minute.
ZENDESK_PLAN = "high-volume"
ZENDESK_BUDGET = {"ROTABOT_ZENDESK_REQUESTS_PER_MINUTE": "2500"}
PG_SKIP = "TEST_DATABASE_URL is not set, so PostgreSQL was not measured"
# A `rotabot serve` that is not answering /healthz after this long has failed to start (on
# two cores shared with other work, importing alone can take 10-30 s).
START_TIMEOUT = 90.0

# The fakes write headers and body separately; with Nagle's algorithm on, the client's delayed
# ACK holds each answer ~40 ms, which would make the fakes, not Rotabot, the measured cost.
slack_api._Handler.disable_nagle_algorithm = True
zendesk_api._Handler.disable_nagle_algorithm = True


@dataclass
class Check:
    """One target: what it asks, what was measured, and whether it held (None: skipped)."""

    target: str
    measured: str
    passed: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return "SKIP" if self.passed is None else "PASS" if self.passed else "FAIL"


def check(target: str, value: float, limit: float, unit: str, *, note: str = "") -> Check:
    """A `value ≤ limit` target, the figure rounded for the table."""
    figure = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return Check(target, f"{figure} {unit}".strip(), value <= limit, note)


def at_least(target: str, value: float, floor: float, unit: str, *, note: str = "") -> Check:
    return Check(target, f"{value:,.1f} {unit}".strip(), value >= floor, note)


def skipped(target: str, reason: str) -> Check:
    return Check(target, "-", None, reason)


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(total_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
    }


def report(name: str, title: str, checks: Sequence[Check], data: dict[str, Any]) -> list[Check]:
    """Print the targets as a table and write them, with the raw figures, to results/<name>.json."""
    rows = [(c.target, c.measured, c.verdict, c.note) for c in checks]
    headers = ("target", "measured", "result", "note")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    print(f"\n== {title} ==")
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[3])]).rstrip())
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "checks": [asdict(c) | {"result": c.verdict} for c in checks],
        "data": data,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return list(checks)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No garbage collection in this process for the block (collected before it starts)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, and by those, found through /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command may hold spaces or brackets; the parent comes after the last ')'.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, waiting = [], [pid]
    while waiting:
        children = parents.get(waiting.pop(), [])
        found += children
        waiting += children
    return found


def tree_rss_kb(pid: int) -> int:
    """The RSS of a process and all its descendants, added up (0 for any that just ended)."""
    total = 0
    for member in [pid, *descendants(pid)]:
        try:
            total += proc_status_kb(member, "VmRSS")
        except (OSError, KeyError):
            pass
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB (VmRSS now, VmHWM the peak)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(f"{field} not in /proc/{pid}/status")


def migrated_sqlite(path: Path) -> str:
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@contextmanager
def scratch_postgres(label: str) -> Iterator[str | None]:
    """A migrated scratch database on TEST_DATABASE_URL's server, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"rotabot_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def command_body(command: str, text: str, *, response_url: str, user: str, channel: str) -> str:
    """A slash command's form body, as Slack posts it (the tests' own builder)."""
    return doors.command_body(
        command,
        text,
        user=user,
        channel=channel,
        response_url=response_url,
        trigger_id=f"trigger-{uuid.uuid4().hex[:8]}",
    )


def serve_env(
    *, database_url: str, port: int, slack_api_url: str, zendesk_url: str | None
) -> dict[str, str]:
    """The environment of a `rotabot serve` pointed at the fakes; nothing else leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "ZENDESK_", "ROTABOT_", "DATABASE_URL", "PORT"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    if zendesk_url is not None:
        env.update(
            ZENDESK_URL=zendesk_url, ZENDESK_EMAIL=ZENDESK_EMAIL, ZENDESK_API_TOKEN=ZENDESK_TOKEN
        )
    return env


@contextmanager
def running(
    args: list[str], *, env: dict[str, str], health_url: str, log_name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess (run from an empty directory, so no .env is read), until it answers.

    Its log goes to results/run/<log_name>.log: a pipe nobody reads would stall it when full.
    """
    workdir = RESULTS / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{log_name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=workdir,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(args)} exited at start:\n{tail}")
            try:
                if httpx.get(health_url, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not answer {health_url} in time")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class IndexedZendesk(FakeZendesk):
    """The test fake with its comments indexed by ticket and its tickets kept in export order.

    The test fake scans every comment per ticket and sorts every ticket per export page, which
    is fine for a test's handful but would make 50k tickets the fake's cost, not Rotabot's: and
    as it does that holding its lock, comment reads in flight would wait on each export page.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._by_ticket: dict[int, list[Any]] = defaultdict(list)
        # Every ticket in export order, and each one's position; None once a ticket changes.
        self._export_order: list[Any] | None = None
        self._export_keys: list[tuple[int, int]] = []
        # The events in export order, and their keys; None once an event is added.
        self._event_order: list[Any] = []
        self._event_keys: list[tuple[int, int]] | None = None

    def add_comment(self, ticket_id: int, **kwargs: Any) -> int:
        comment_id = super().add_comment(ticket_id, **kwargs)
        with self._lock:
            self._by_ticket[ticket_id].append(self._comments[-1])
        return comment_id

    def _ticket_comments(self, ticket_id: int) -> list[Any]:
        return sorted(self._by_ticket.get(ticket_id, ()), key=lambda c: (c.created_at, c.id))

    def add_ticket(self, id: int, **kwargs: Any) -> None:
        with self._lock:
            super().add_ticket(id, **kwargs)
            if kwargs.get("description") is not None:
                self._by_ticket[id].append(self._comments[-1])
            self._export_order = None

    def update_ticket(self, id: int, **kwargs: Any) -> None:
        with self._lock:
            super().update_ticket(id, **kwargs)
            self._export_order = None

    def _update_ticket(self, ticket: Any, body: dict[str, Any] | None) -> Any:
        with self._lock:
            self._export_order = None
            return super()._update_ticket(ticket, body)

    def _exported_after(self, position: Any, cutoff: datetime, limit: int) -> list[Any]:
        if self._export_order is None:
            self._export_order = sorted(self._tickets.values(), key=lambda t: (t.updated_at, t.id))
            self._export_keys = [
                (zendesk_api._micros(t.updated_at), t.id) for t in self._export_order
            ]
        start = bisect.bisect_right(self._export_keys, position)
        # In updated_at order, so the tickets past the cutoff are at the end of the slice.
        return [t for t in self._export_order[start : start + limit] if t.updated_at <= cutoff]

    def _add_event(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super()._add_event(*args, **kwargs)
            self._event_keys = None

    def _events_between(self, start: int, cutoff: int, per_page: int) -> list[Any]:
        keys = self._event_keys
        if keys is None:
            self._event_order = sorted(
                self._events, key=lambda e: (int(e.created_at.timestamp()), e.id)
            )
            keys = [(int(e.created_at.timestamp()), e.id) for e in self._event_order]
            self._event_keys = keys
        first = bisect.bisect_left(keys, (start, -1))
        last = bisect.bisect_right(keys, (cutoff, 2**63))
        # One more than a page, and the rest of the last second: all the export looks at.
        end = min(last, first + per_page + 1)
        while end < last and keys[end][0] == keys[end - 1][0]:
            end += 1
        return self._event_order[first:end]


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
