"""CPU per request: what one `rotabot serve` spends on each kind of request the ack benchmark
sends, one request at a time, read from the kernel's count for the server process.

No target but that every request is answered: this is the figure the answer benchmarks'
limits leave a millisecond or two for, and the one to compare across revisions (run it in a
worktree of each). The server gets the same fakes, database, seed and warm-up as in `ack`; the
figure is the process's user and system CPU over 300 requests (after 30 warm-up requests),
divided by 300, with the p50 of the answers.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from benchmarks.ack import QUICK, answer_world, kinds
from benchmarks.common import (
    PG_SKIP,
    ZENDESK_BUDGET,
    Check,
    check,
    free_port,
    report,
    running,
    serve_env,
    skipped,
)
from benchmarks.http_load import MEMBERS, Load, WatchedSlack
from tests.fakes.zendesk_api import FakeZendesk

REQUESTS = 30 if QUICK else 300
WARM_UP = 5 if QUICK else 30


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a process so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(database_url: str, fake_slack: WatchedSlack, zendesk: FakeZendesk) -> dict[str, Any]:
    """Each kind's CPU per request (ms) and p50 (ms) against one rotabot serve."""
    port = free_port()
    env = serve_env(
        database_url=database_url, port=port, slack_api_url=fake_slack.url, zendesk_url=zendesk.url
    )
    env.update(ZENDESK_BUDGET)
    url = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {}
    with running(
        ["-m", "bot", "serve"], env=env, health_url=f"{url}/healthz", log_name="cpu-rotabot"
    ) as process:
        load = Load([url], fake_slack)
        added = ("/rota", lambda _n: "add " + " ".join(f"<@{u}>" for u in MEMBERS))
        load.run(added, concurrency=1, count=1)
        for name, kind in kinds().items():
            load.run(kind, concurrency=10, count=WARM_UP)
            before = process_cpu_s(process.pid)
            run = load.run(kind, concurrency=1, count=REQUESTS)
            spent = process_cpu_s(process.pid) - before
            figures[name] = {
                "cpu_ms_per_request": round(1000 * spent / REQUESTS, 2),
                "p50_ms": round(run.p(0.50), 2),
                "errors": run.errors,
            }
            print(f"  {name:<22} {figures[name]}", file=sys.stderr)
    return figures


def run() -> list[Check]:
    data: dict[str, Any] = {"requests_per_figure": REQUESTS}
    found: list[Check] = []
    with answer_world("cpu") as world:
        databases = {"SQLite": world.sqlite_url}
        if world.pg_url is not None:
            databases["PostgreSQL"] = world.pg_url
        for label, url in databases.items():
            print(f"  {label}:", file=sys.stderr)
            data[label] = measure(url, world.fake_slack, world.zendesk)
    for label in ("SQLite", "PostgreSQL"):
        failed = sum(figure["errors"] for figure in data.get(label, {}).values())
        if label in data:
            # A request that failed spent less: its figure would flatter.
            found.append(check(f"{label}: requests without an answer", failed, 0, ""))
    if "PostgreSQL" not in data:
        found.append(skipped("PostgreSQL: CPU per request", PG_SKIP))
    print("\n== CPU per request, one at a time (ms) ==")
    for label in ("SQLite", "PostgreSQL"):
        for name, figure in data.get(label, {}).items():
            print(f"{label:<11} {name:<22} {figure['cpu_ms_per_request']:>7.2f}")
    report("cpu", "CPU per request of rotabot serve (no targets)", found, data)
    return found


if __name__ == "__main__":
    run()
