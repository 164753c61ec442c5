"""Time to a visible answer over HTTP: `rotabot serve` against bare Bolt on the same stack.

Both run as subprocesses on loopback, configured alike (process_before_response, the same
request door, waitress with the same threads); this process holds the fake Slack and the fake
Zendesk and sends signed requests. A request's time is from sending it until its answer is
shown: the ack when it carries the answer, else the POST to its response_url (Rotabot answers
these commands and clicks through one or the other, never chat.postEphemeral). Bare Bolt's
figure is its ack. Two set-ups: one process on SQLite; two web processes on one PostgreSQL
database, the load split between them (and two bare Bolt processes as their floor).

* latency: p99 at concurrency 1, 10 and 50 (closed loop) for /rota, /ticket ID (mirrored and
  not), /rota swap and a click on a card's *Priority is right*; target ≤ 3× bare Bolt's ack
  p99 at that concurrency + 50 ms;
* capacity: requests sent at a fixed rate (open loop, each timed from when it was due), the
  rate raised while the p99 stays under 1 s; /rota and /ticket must reach half of bare
  Bolt's.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from benchmarks.common import (
    PG_SKIP,
    RESULTS,
    ZENDESK_BUDGET,
    ZENDESK_EMAIL,
    ZENDESK_PLAN,
    ZENDESK_TOKEN,
    Check,
    IndexedZendesk,
    at_least,
    check,
    free_port,
    migrated_sqlite,
    remove_sqlite,
    report,
    running,
    scratch_postgres,
    serve_env,
    skipped,
)
from benchmarks.http_load import (
    ANSWER_TIMEOUT,
    CHANNEL,
    MEMBERS,
    Kind,
    Load,
    Run,
    WatchedSlack,
)
from bot.jobs import all_jobs
from bot.jobs.runner import run_job
from bot.services import build_services
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

CONCURRENCY = (1, 10, 50)
# Smoke mode (ROTABOT_BENCH_QUICK=1): a few requests per figure, to see it all still runs.
QUICK = os.environ.get("ROTABOT_BENCH_QUICK") == "1"
REQUESTS = 20 if QUICK else 200
WARM_UP = 5 if QUICK else 30
RATIO = 3.0
PLUS_MS = 50.0
CAPACITY_P99_MS = 1000.0
CAPACITY_SHARE = 0.5
# Capacity: each rate is held this long; rates double from the first until the p99 fails,
# then the gap is halved this many times.
STEP_S = 0.5 if QUICK else 2.0
FIRST_RATE = 25.0
MAX_RATE = 100.0 if QUICK else 3200.0
BISECTIONS = 0 if QUICK else 3
SLOW_ZENDESK_S = 2.0
SLACK_LIMIT_MS = 3000.0
MIRRORED = range(1, 51)
# Never synced, so `/ticket` must ask Zendesk: each is asked once per database (then it is
# mirrored), so there is one per request.
UNMIRRORED = range(10_001, 10_001 + (len(CONCURRENCY) + 1) * (REQUESTS + WARM_UP))
# Asked while Zendesk is slow: /ticket must still be acked in time.
UNMIRRORED_SLOW = range(30_001, 30_101)
MIXED_REQUESTS = 100 if QUICK else 500


def cycling(values: Sequence[int]) -> Callable[[int], str]:
    return lambda n: str(values[n % len(values)])


def rota_text(_n: int) -> str:
    return ""


class Unmirrored:
    """Ticket ids never asked before on this database: one per request."""

    def __init__(self, ids_: Sequence[int] = UNMIRRORED) -> None:
        self._ids = iter(ids_)
        self._lock = threading.Lock()

    def __call__(self, _n: int) -> str:
        with self._lock:
            return str(next(self._ids))


def kinds(unmirrored: Sequence[int] = UNMIRRORED) -> dict[str, Kind]:
    """What each figure sends to Rotabot (bare Bolt gets the same requests)."""
    return {
        "/rota": ("/rota", rota_text),
        "/ticket mirrored": ("/ticket", cycling(MIRRORED)),
        "/ticket not mirrored": ("/ticket", Unmirrored(unmirrored)),
        # Each asks someone else on the rota to swap; the answer says what was asked.
        "/rota swap": ("/rota", lambda n: f"swap <@{MEMBERS[3 + n % 7]}>"),
        "click": (None, cycling(MIRRORED)),
    }


def seed_zendesk(zendesk: FakeZendesk, ids_: Sequence[int]) -> None:
    now = datetime.now(UTC)
    zendesk.add_organization(70, name="Acme Ltd")
    zendesk.add_user(901, name="Agent One", email="u1@example.com", role="agent")
    zendesk.add_user(950, name="Client", email="client@example.org", role="end-user")
    for ticket_id in ids_:
        created = now - timedelta(days=2, minutes=ticket_id % 500)
        zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}",
            requester_id=950,
            assignee_id=901,
            organization_id=70,
            priority="high" if ticket_id % 3 else "normal",
            created_at=created,
        )
        zendesk.add_comment(ticket_id, author_id=950, body="It broke.", created_at=created)
        zendesk.add_comment(
            ticket_id, author_id=901, body="Looking.", created_at=created + timedelta(hours=1)
        )


def mirror(database_url: str, fake_slack: FakeSlack, zendesk: FakeZendesk) -> None:
    """One sync, as the worker would run it."""
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-bench",
        slack_api_url=fake_slack.url,
        zendesk_url=zendesk.url,
        zendesk_email=ZENDESK_EMAIL,
        zendesk_api_token=ZENDESK_TOKEN,
    )
    services = build_services(settings)
    try:
        run_job(services, all_jobs()["sync"], now=datetime.now(UTC), echo=lambda _: None)
    finally:
        services.engine.dispose()


@dataclass
class Setup:
    """One way of running Rotabot: its label, database, and how many web processes."""

    label: str
    database_url: str
    processes: int


@contextmanager
def servers(
    setup: Setup,
    fake_slack: WatchedSlack,
    zendesk: FakeZendesk,
    *,
    extra_env: Mapping[str, str] | None = None,
    log_prefix: str = "ack",
) -> Iterator[tuple[Load, Load]]:
    """Rotabot's web processes and as many bare Bolt ones, each load split across its own;
    `extra_env` goes to Rotabot's (benchmarks.probe compares settings with it)."""
    with ExitStack() as stack:
        urls: dict[str, list[str]] = {"rotabot": [], "bolt": []}
        pids: dict[str, list[int]] = {"rotabot": [], "bolt": []}
        for n in range(setup.processes):
            for name, args in (
                ("rotabot", ["-m", "bot", "serve"]),
                ("bolt", ["-m", "benchmarks.bare_bolt"]),
            ):
                port = free_port()
                env = serve_env(
                    database_url=setup.database_url,
                    port=port,
                    slack_api_url=fake_slack.url,
                    zendesk_url=zendesk.url,
                )
                env.update(ZENDESK_BUDGET)
                if name == "rotabot":
                    env.update(extra_env or {})
                url = f"http://127.0.0.1:{port}"
                process = stack.enter_context(
                    running(
                        [*args, *([str(port)] if name == "bolt" else [])],
                        env=env,
                        health_url=f"{url}/healthz",
                        log_name=f"{log_prefix}-{name}-{setup.label.split()[0].lower()}-{n}",
                    )
                )
                urls[name].append(url)
                pids[name].append(process.pid)
        yield (
            Load(urls["rotabot"], fake_slack, pids=pids["rotabot"]),
            Load(urls["bolt"], fake_slack, ack_only=True, pids=pids["bolt"]),
        )


def measure_setup(
    setup: Setup, fake_slack: WatchedSlack, zendesk: FakeZendesk, *, slow: bool
) -> tuple[list[Check], dict[str, Any]]:
    data: dict[str, Any] = {}
    with servers(setup, fake_slack, zendesk) as (rotabot, bolt):
        added = rotabot.run(
            ("/rota", lambda _n: "add " + " ".join(f"<@{u}>" for u in MEMBERS)),
            concurrency=1,
            count=1,
        )
        if added.errors:
            raise RuntimeError("`/rota add` did not answer: see results/run/ack-rotabot-*.log")
        latency = measure_latency(setup, rotabot, bolt)
        data["latency"] = {key: run.summary() for key, run in latency.items()}
        capacity, steps = measure_capacity(setup, rotabot, bolt)
        data["capacity_per_s"] = capacity
        data["capacity_steps"] = steps
        slow_runs = measure_slow_zendesk(rotabot, zendesk) if slow else {}
        data["slow_zendesk"] = {key: run.summary() for key, run in slow_runs.items()}
    log = "".join(
        path.read_text(errors="replace") for path in (RESULTS / "run").glob("ack-rotabot-*.log")
    )
    # Bolt logs this when a listener had not acked within 3 s, and answers 404.
    data["listeners_not_acked_in_time"] = log.count("didn't call ack()")
    found = latency_checks(setup, latency) + capacity_checks(setup, capacity)
    found += error_checks(setup, latency, slow_runs, data["listeners_not_acked_in_time"])
    return found, data


def measure_latency(setup: Setup, rotabot: Load, bolt: Load) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    floors = {"command": ("/rota", lambda _n: ""), "click": kinds()["click"]}
    plan = [("rotabot", rotabot, name, kind) for name, kind in kinds().items()]
    plan += [("bolt", bolt, name, kind) for name, kind in floors.items()]
    for server, load, name, kind in plan:
        load.run(kind, concurrency=10, count=WARM_UP)
        for concurrency in CONCURRENCY:
            key = f"{server} {name} c{concurrency}"
            runs[key] = load.run(kind, concurrency=concurrency, count=REQUESTS)
            print(f"  {setup.label}: {key:<34} {runs[key].summary()}", file=sys.stderr)
    return runs


def measure_capacity(
    setup: Setup, rotabot: Load, bolt: Load
) -> tuple[dict[str, float], dict[str, list[dict[str, Any]]]]:
    """The highest rate (per s) each holds with its p99 under the limit."""
    plan = {
        "rotabot /rota": (rotabot, kinds()["/rota"]),
        "rotabot /ticket": (rotabot, kinds()["/ticket mirrored"]),
        "bolt ack": (bolt, ("/rota", lambda _n: "")),
    }
    found: dict[str, float] = {}
    steps: dict[str, list[dict[str, Any]]] = {}
    for key, (load, kind) in plan.items():
        steps[key] = []
        found[key] = highest_rate(partial(holds, setup, key, load, kind, steps[key]))
    return found, steps


def holds(
    setup: Setup, key: str, load: Load, kind: Kind, tried: list[dict[str, Any]], rate: float
) -> bool:
    """Whether `rate` requests a second keep the p99 under the limit, with no failures."""
    run = load.at_rate(kind, rate, STEP_S)
    ok = run.errors == 0 and run.p(0.99) < CAPACITY_P99_MS
    tried.append({"rate": rate, "ok": ok, **run.summary()})
    print(f"  {setup.label}: {key} at {rate:.0f}/s {tried[-1]}", file=sys.stderr)
    return ok


def highest_rate(
    holds: Callable[[float], bool],
    *,
    first: float = FIRST_RATE,
    most: float = MAX_RATE,
    bisections: int = BISECTIONS,
) -> float:
    """The highest rate found to hold: doubling from `first`, then halving the gap (0: none)."""
    good, bad, rate = 0.0, None, first
    while rate <= most:
        if not holds(rate):
            bad = rate
            break
        good, rate = rate, rate * 2
    if bad is None:
        return good
    for _ in range(bisections):
        middle = (good + bad) / 2
        if holds(middle):
            good = middle
        else:
            bad = middle
    return good


def measure_slow_zendesk(load: Load, zendesk: FakeZendesk) -> dict[str, Run]:
    """`/rota` beside `/ticket` for tickets Zendesk must serve, with Zendesk slow: /ticket must
    still be acked within Slack's 3 s, and /rota not slowed down."""
    found: dict[str, Run] = {}
    found["/rota zendesk quick"] = load.run(kinds()["/rota"], concurrency=10, count=MIXED_REQUESTS)
    zendesk.delay("/api/v2/", SLOW_ZENDESK_S)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            tickets = pool.submit(
                load.run,
                ("/ticket", cycling(UNMIRRORED_SLOW)),
                concurrency=10,
                count=len(UNMIRRORED_SLOW),
            )
            rotas = pool.submit(load.run, kinds()["/rota"], concurrency=10, count=MIXED_REQUESTS)
            found["/ticket zendesk slow"] = tickets.result()
            found["/rota zendesk slow"] = rotas.result()
    finally:
        zendesk.delay("/api/v2/", 0)
    for key, run in found.items():
        print(f"  {key:<24} {run.summary()}", file=sys.stderr)
    return found


def latency_checks(setup: Setup, runs: dict[str, Run]) -> list[Check]:
    found: list[Check] = []
    for name, kind in kinds().items():
        floor_name = "click" if kind[0] is None else "command"
        for concurrency in CONCURRENCY:
            ours = runs[f"rotabot {name} c{concurrency}"]
            floor = runs[f"bolt {floor_name} c{concurrency}"]
            limit = RATIO * floor.p(0.99) + PLUS_MS
            found.append(
                check(
                    f"{setup.label}: {name} answer shown p99 at c{concurrency} ≤ "
                    f"{RATIO:g}× bare Bolt ack p99 + {PLUS_MS:g} ms ({limit:.1f} ms)",
                    ours.p(0.99),
                    limit,
                    "ms",
                    note=f"p50/p95/p99 {ours.p(0.5):.1f}/{ours.p(0.95):.1f}/{ours.p(0.99):.1f}"
                    f" ms, {ours.later} of {len(ours.latencies)} answered after the ack; bare "
                    f"Bolt {floor.p(0.5):.1f}/{floor.p(0.95):.1f}/{floor.p(0.99):.1f} ms",
                )
            )
    return found


def capacity_checks(setup: Setup, capacity: dict[str, float]) -> list[Check]:
    floor = capacity["bolt ack"]
    return [
        at_least(
            f"{setup.label}: {command} capacity (p99 < {CAPACITY_P99_MS:g} ms) ≥ "
            f"{CAPACITY_SHARE:.0%} of bare Bolt's ({floor:,.0f}/s)",
            capacity[f"rotabot {command}"],
            CAPACITY_SHARE * floor,
            "/s",
            note=f"bare Bolt ack-only {floor:,.0f}/s",
        )
        for command in ("/rota", "/ticket")
    ]


def error_checks(
    setup: Setup, runs: dict[str, Run], slow: dict[str, Run], not_acked: int
) -> list[Check]:
    errors = sum(run.errors for run in runs.values())
    total = sum(len(run.latencies) + run.errors for run in runs.values())
    found = [
        check(
            f"{setup.label}: requests without a shown answer, latency runs",
            errors,
            0,
            f"of {total:,}",
            note="; ".join(f"{key}: {run.errors}" for key, run in runs.items() if run.errors)
            + f"; Bolt logged {not_acked} listeners that had not acked within 3 s",
        )
    ]
    if slow:
        slow_ticket = slow["/ticket zendesk slow"]
        found.append(
            check(
                f"{setup.label}: /ticket ack with Zendesk {SLOW_ZENDESK_S:g} s slow < "
                f"{SLACK_LIMIT_MS:g} ms (max)",
                max(slow_ticket.acks, default=ANSWER_TIMEOUT * 1000),
                SLACK_LIMIT_MS,
                "ms",
                note=f"{slow_ticket.errors} of {len(slow_ticket.acks)} cards not shown; cards "
                f"shown p50/p99 {slow_ticket.p(0.5):.0f}/{slow_ticket.p(0.99):.0f} ms",
            )
        )
        quick_rota, slow_rota = slow["/rota zendesk quick"], slow["/rota zendesk slow"]
        found.append(
            check(
                f"{setup.label}: /rota p99 beside /ticket with Zendesk slow ≤ {RATIO:g}× + "
                f"{PLUS_MS:g} ms of it alone",
                slow_rota.p(0.99),
                RATIO * quick_rota.p(0.99) + PLUS_MS,
                "ms",
                note=f"alone {quick_rota.p(0.99):.1f} ms (c10)",
            )
        )
    return found


@dataclass
class World:
    """The fakes and databases the answer benchmarks share."""

    fake_slack: WatchedSlack
    zendesk: FakeZendesk
    sqlite_url: str
    pg_url: str | None  # None: TEST_DATABASE_URL is not set


@contextmanager
def answer_world(name: str, unmirrored: Sequence[int] = UNMIRRORED) -> Iterator[World]:
    """The fake Slack with the rota's members and channel; the fake Zendesk with MIRRORED
    tickets, mirrored into a SQLite database and (with TEST_DATABASE_URL) a scratch PostgreSQL
    one; then the tickets each database has to ask Zendesk for (`unmirrored`)."""
    RESULTS.mkdir(exist_ok=True)
    with (
        WatchedSlack() as fake_slack,
        IndexedZendesk(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN, plan=ZENDESK_PLAN) as zendesk,
    ):
        for user in MEMBERS:
            fake_slack.add_user(user, name=user.lower(), email=f"{user.lower()}@example.com")
        fake_slack.add_channel(CHANNEL, name="support", members=MEMBERS)
        seed_zendesk(zendesk, list(MIRRORED))
        sqlite_path = RESULTS / f"{name}-bench.db"
        with scratch_postgres(name) as pg_url:
            world = World(fake_slack, zendesk, migrated_sqlite(sqlite_path), pg_url)
            for url in (world.sqlite_url, pg_url):
                if url is not None:
                    mirror(url, fake_slack, zendesk)
            # After every database's sync: each has to ask Zendesk for these.
            seed_zendesk(zendesk, [*unmirrored, *UNMIRRORED_SLOW])
            yield world
        remove_sqlite(sqlite_path)


def run() -> list[Check]:
    RESULTS.mkdir(exist_ok=True)
    for old in (RESULTS / "run").glob("ack-*.log"):
        old.unlink()
    data: dict[str, Any] = {"requests_per_figure": REQUESTS, "quick": QUICK}
    found: list[Check] = []
    with answer_world("ack") as world:
        setups = [(Setup("SQLite 1 process", world.sqlite_url, 1), True)]
        if world.pg_url is not None:
            setups.append((Setup("PostgreSQL 2 processes", world.pg_url, 2), False))
        for setup, slow in setups:
            checks, figures = measure_setup(setup, world.fake_slack, world.zendesk, slow=slow)
            found += checks
            data[setup.label] = figures
        protocol_errors = world.fake_slack.protocol_errors
    if len(setups) == 1:
        found.append(skipped("PostgreSQL 2 processes: every figure", PG_SKIP))
    found.append(
        check(
            "calls the fake Slack would reject as malformed",
            len(protocol_errors),
            0,
            "",
            note="; ".join(protocol_errors[:3]),
        )
    )
    return report(
        "ack", "Time to a visible answer and capacity: rotabot serve vs bare Bolt", found, data
    )


if __name__ == "__main__":
    run()
