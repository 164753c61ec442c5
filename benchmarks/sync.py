"""Sync throughput: a first sync of 50k tickets (pages of 1,000, with comments), then 100 changes.

This process serves the fake Zendesk; the sync runs in a child process (`--worker`), through
`run_job` as the worker runs it, so its peak RSS is the sync's alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import (
    RESULTS,
    ROOT,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    Check,
    IndexedZendesk,
    at_least,
    check,
    migrated_sqlite,
    proc_status_kb,
    remove_sqlite,
    report,
    tree_rss_kb,
)
from bot.jobs import all_jobs
from bot.jobs.runner import run_job
from bot.services import build_services
from bot.settings import Settings
from bot.store.db import make_engine
from bot.store.tickets import Ticket
from tests.fakes.zendesk_api import FakeZendesk

TICKETS = 50_000
PAGE_SIZE = 1_000
COMMENTS_PER_TICKET = 2
REQUESTERS = 2_000
AGENTS = 20
ORGANIZATIONS = 300
CHANGED = 100
RATE_FLOOR = 2_000.0
RSS_LIMIT_MB = 250.0
INCREMENTAL_LIMIT_S = 2.0
# A first sync still running after this long is stopped and judged on what it mirrored so far.
FULL_BUDGET_S = 150.0
INCREMENTAL_BUDGET_S = 60.0


@dataclass
class SyncRun:
    seconds: float
    peak_rss_mb: float
    finished: bool
    summary: str


class Clock:
    """The fake Zendesk's clock, moved by the benchmark (its export hides the last minute)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


def seed(zendesk: FakeZendesk, start: datetime) -> None:
    for n in range(ORGANIZATIONS):
        zendesk.add_organization(70_000 + n, name=f"Client {n}")
    for n in range(AGENTS):
        zendesk.add_user(900 + n, name=f"Agent {n}", email=f"agent{n}@example.com", role="agent")
    for n in range(REQUESTERS):
        zendesk.add_user(
            100_000 + n,
            name=f"Person {n}",
            email=f"p{n}@example.org",
            role="end-user",
            organization_id=70_000 + n % ORGANIZATIONS,
        )
    for ticket_id in range(1, TICKETS + 1):
        # Spread over the 30-day look-back, all older than the export's one-minute lag.
        created = start - timedelta(days=29) + timedelta(seconds=ticket_id * 40)
        requester = 100_000 + ticket_id % REQUESTERS
        agent = 900 + ticket_id % AGENTS
        zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}: the export fails on large files",
            requester_id=requester,
            assignee_id=agent if ticket_id % 4 else None,
            organization_id=70_000 + ticket_id % ORGANIZATIONS,
            priority=("urgent", "high", "normal", "low")[ticket_id % 4],
            tags=["bench"],
            created_at=created,
        )
        for k in range(COMMENTS_PER_TICKET):
            zendesk.add_comment(
                ticket_id,
                author_id=requester if k % 2 == 0 else agent,
                body="It fails again.\n\nAny news?" if k % 2 == 0 else "Looking into it.",
                created_at=created + timedelta(minutes=k),
            )


def run_worker(db_url: str, zendesk_url: str, now: datetime, budget: float) -> SyncRun:
    """Run the sync in a child process, watching its peak RSS; stop it past the budget."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.sync",
        "--worker",
        db_url,
        zendesk_url,
        now.isoformat(),
    ]
    started = time.monotonic()
    log_path = RESULTS / "run" / "sync-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    peak_kb = 0
    try:
        while child.poll() is None and time.monotonic() - started < budget:
            try:
                peak_kb = max(peak_kb, proc_status_kb(child.pid, "VmHWM"))
            except (OSError, KeyError):
                pass
            # The sync may share a big batch with worker processes: their memory counts too.
            peak_kb = max(peak_kb, tree_rss_kb(child.pid))
            time.sleep(0.25)
        finished = child.poll() is not None
        if not finished:
            child.kill()
    finally:
        out, _ = child.communicate(timeout=30)
    elapsed = time.monotonic() - started
    if not finished:
        return SyncRun(elapsed, peak_kb / 1024, False, f"stopped after {budget:.0f} s")
    lines = out.decode().strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the sync worker failed (exit {child.returncode}):\n{tail}")
    answer = json.loads(lines[-1])
    return SyncRun(
        answer["seconds"],
        max(peak_kb, answer["peak_kb"]) / 1024,
        True,
        answer["summary"],
    )


def worker(db_url: str, zendesk_url: str, now_iso: str) -> None:
    settings = Settings(
        database_url=db_url,
        slack_bot_token="xoxb-bench",
        slack_api_url="http://127.0.0.1:9/api/",
        zendesk_url=zendesk_url,
        zendesk_email=ZENDESK_EMAIL,
        zendesk_api_token=ZENDESK_TOKEN,
    )
    services = build_services(settings)
    started = time.perf_counter()
    report_ = run_job(services, all_jobs()["sync"], now=datetime.fromisoformat(now_iso))
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: after fork and exec the latter can still carry the parent's peak.
    peak_kb = proc_status_kb(os.getpid(), "VmHWM")
    print(json.dumps({"seconds": seconds, "peak_kb": peak_kb, "summary": report_.summary}))


def mirrored(db_url: str, *, status: str | None = None) -> int:
    engine = make_engine(db_url)
    try:
        query = select(func.count()).select_from(Ticket)
        if status is not None:
            query = query.where(Ticket.status == status)  # type: ignore[arg-type]
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def run() -> list[Check]:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "sync-bench.db"
    db_url = migrated_sqlite(path)
    start = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(start + timedelta(minutes=5))
    data: dict[str, Any] = {
        "tickets": TICKETS,
        "page_size": PAGE_SIZE,
        "comments_per_ticket": COMMENTS_PER_TICKET,
    }
    with IndexedZendesk(
        email=ZENDESK_EMAIL, token=ZENDESK_TOKEN, page_size=PAGE_SIZE, now=clock
    ) as zendesk:
        began = time.perf_counter()
        seed(zendesk, start)
        print(f"  fake Zendesk seeded in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        before = os.times()
        full = run_worker(db_url, zendesk.url, start, FULL_BUDGET_S)
        spent = [now - then for now, then in zip(os.times(), before, strict=True)]
        user, system, child_user, child_system, _ = spent
        full_count = mirrored(db_url)
        print(f"  first sync: {full}, {full_count:,} tickets mirrored", file=sys.stderr)
        # Each side's CPU seconds: a sync that got less than a core is slower than its code.
        data["cpu_s"] = {"sync": child_user + child_system, "fake": user + system}
        print(f"  CPU seconds during the first sync: {data['cpu_s']}", file=sys.stderr)
        changed_at = start + timedelta(minutes=10)
        for ticket_id in range(1, TICKETS + 1, TICKETS // CHANGED):
            zendesk.add_comment(ticket_id, author_id=900, body="Fixed.", created_at=changed_at)
            zendesk.update_ticket(ticket_id, status="solved", updated_at=changed_at)
        clock.current = start + timedelta(minutes=20)
        incremental = run_worker(db_url, zendesk.url, clock.current, INCREMENTAL_BUDGET_S)
        solved = mirrored(db_url, status="solved")
        print(f"  incremental sync: {incremental}, {solved} solved", file=sys.stderr)
        data["comment_reads"] = len(zendesk.requests_to("/api/v2/tickets/"))
    remove_sqlite(path)
    rate = full_count / full.seconds
    data["full"] = vars(full) | {"mirrored": full_count, "tickets_per_s": rate}
    data["incremental"] = vars(incremental) | {"solved_after": solved}
    checks = [
        at_least(
            f"first sync ≥ {RATE_FLOOR:,.0f} tickets/s",
            rate,
            RATE_FLOOR,
            "tickets/s",
            note=f"{full_count:,} of {TICKETS:,} mirrored in {full.seconds:.1f} s; {full.summary}",
        ),
        check(f"first sync peak RSS < {RSS_LIMIT_MB:g} MB", full.peak_rss_mb, RSS_LIMIT_MB, "MB"),
        check(
            f"incremental sync of {CHANGED} changed tickets < {INCREMENTAL_LIMIT_S:g} s",
            incremental.seconds if incremental.finished else INCREMENTAL_BUDGET_S,
            INCREMENTAL_LIMIT_S,
            "s",
            note=f"{solved} of {CHANGED} changes mirrored; {incremental.summary}",
        ),
    ]
    if full_count != TICKETS or solved != CHANGED:
        checks.append(
            Check("sync mirrors every ticket and change", f"{full_count:,} / {solved}", False)
        )
    return report(
        "sync", f"Sync throughput: {TICKETS:,} tickets from the fake Zendesk", checks, data
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(*sys.argv[2:5])
    else:
        run()
