"""`python -m benchmarks.probe`: one kind of answer, round after round, and where its CPU went.

Not a benchmark (it has no target): a probe for comparing two revisions, or two settings, on
the same machine in the same hour. The machine's speed moves too much within an hour for
tables of different hours to compare (see the README), so run the two sides in turn, a few
rounds each, and compare the CPU per request as well as the times: at fifty at once the
servers, PostgreSQL, the load generator and the fakes share two cores, and the p99 follows
the CPU of one request.

Each round prints the time to a visible answer (p50 and p99), each server's p50 and p99 (the
load goes to them in turn, and the p99 is the slower one's), and per request: the CPU of
Rotabot's servers, of this process (the load generator and the fakes) and of the PostgreSQL
processes on this machine (with the backends that ended in the round), and how often the
servers' threads were switched (a thread that ended in the round takes its count with it; the
line says how many did).

    python -m benchmarks.probe --kind "/rota swap" --rounds 5
    python -m benchmarks.probe --kind click --sqlite --bolt
    python -m benchmarks.probe --env ROTABOT_ZENDESK_REQUESTS_PER_MINUTE=700
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.ack import MEMBERS, Setup, answer_world, kinds, servers
from benchmarks.common import PG_SKIP, ZENDESK_BUDGET, percentile
from benchmarks.http_load import Kind, Load, Run

WARM_UP = 30
# A ticket the mirror lacks costs about this many Zendesk calls (its comments, and its share of
# a merged read); past the budget's minute, answers wait for the next, and the probe would
# measure the limiter.
CALLS_PER_UNMIRRORED = 1.1
BUDGET_SETTING = "ROTABOT_ZENDESK_REQUESTS_PER_MINUTE"
# Above every id the ack world seeds (MIRRORED, UNMIRRORED, UNMIRRORED_SLOW end below 31,000).
FIRST_UNMIRRORED = 100_001
PROC = Path("/proc")


# A thread, as (process id, thread id).
Thread = tuple[int, int]


@dataclass(frozen=True)
class Reading:
    """CPU (ms) of the servers, of this process and of PostgreSQL; each server thread's
    context switches so far."""

    servers_ms: float
    own_ms: float
    postgres_ms: float
    switches: dict[Thread, int]


@dataclass(frozen=True)
class Used:
    """What a round used: CPU (ms), switches, and the server threads that ended in it."""

    servers_ms: float
    own_ms: float
    postgres_ms: float
    switches: int
    threads_ended: int = 0


def used_between(before: Reading, after: Reading) -> Used:
    """A thread started in the round counts from 0; one that ended took its count with it."""
    return Used(
        after.servers_ms - before.servers_ms,
        after.own_ms - before.own_ms,
        after.postgres_ms - before.postgres_ms,
        sum(count - before.switches.get(thread, 0) for thread, count in after.switches.items()),
        len(before.switches.keys() - after.switches.keys()),
    )


def cpu_ms(pids: Sequence[int], *, reaped: bool = False) -> float:
    """User and system CPU of the processes (all their threads), in ms; 0 for any gone.
    `reaped`: with that of their children which have ended (the postmaster's backends)."""
    ticks = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # Fields 14-17 of stat(5): utime, stime, cutime, cstime.
        ticks += sum(int(field) for field in fields[11 : 15 if reaped else 13])
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def switches(pids: Sequence[int]) -> dict[Thread, int]:
    """Context switches, voluntary or not, of each live thread of the processes."""
    found: dict[Thread, int] = {}
    for pid in pids:
        for status in (PROC / str(pid) / "task").glob("*/status"):
            try:
                lines = status.read_text().splitlines()
            except (FileNotFoundError, ProcessLookupError):
                continue
            counts = [int(line.split()[1]) for line in lines if "ctxt_switches" in line]
            found[(pid, int(status.parent.name))] = sum(counts)
    return found


def postgres_pids() -> list[int]:
    """The machine's PostgreSQL processes (the server and its backends)."""
    found = []
    for comm in PROC.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                found.append(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def own_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def reading(load: Load, *, postgres: bool) -> Reading:
    return Reading(
        cpu_ms(load.pids),
        own_cpu_ms(),
        cpu_ms(postgres_pids(), reaped=True) if postgres else 0.0,
        switches(load.pids),
    )


def round_line(number: int, run: Run, used: Used, count: int, *, postgres: bool) -> str:
    per = max(count, 1)
    database = f", PostgreSQL {used.postgres_ms / per:.2f}" if postgres else ""
    servers = "  ".join(
        f"#{slot} {percentile(times, 0.5):.0f}/{percentile(times, 0.99):.0f}"
        for slot, times in sorted(run.by_server.items())
    )
    return (
        f"round {number}: p50 {run.p(0.5):6.1f}  p99 {run.p(0.99):6.1f} ms  errors {run.errors}"
        f"  | servers p50/p99 {servers}"
        f"  | CPU ms/request: servers {used.servers_ms / per:.2f}, load and fakes"
        f" {used.own_ms / per:.2f}{database}"
        f"  | switches/request {used.switches / per:.1f}"
        + (
            f", {ended} thread{'s' if ended > 1 else ''} ended"
            if (ended := used.threads_ended)
            else ""
        )
    )


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probe",
        description="Rounds of one kind of answer, their times and where their CPU went.",
    )
    parser.add_argument("--kind", default="/ticket not mirrored", choices=list(kinds()))
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("-n", "--count", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="one process on SQLite (default: two on PostgreSQL, with TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--bolt", action="store_true", help="first, bare Bolt's ack at the same concurrency"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="for Rotabot's servers (repeat for more)",
    )
    args = parser.parse_args(argv)
    if any("=" not in pair for pair in args.env):
        parser.error("--env takes NAME=VALUE")
    if min(args.concurrency, args.count, args.rounds) < 1:
        parser.error("--concurrency, --count and --rounds must be at least 1")
    return args


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    unmirrored = range(FIRST_UNMIRRORED, FIRST_UNMIRRORED + WARM_UP + args.rounds * args.count)
    extra = dict(pair.split("=", 1) for pair in args.env)
    budget = int(ZENDESK_BUDGET[BUDGET_SETTING])
    if extra.get(BUDGET_SETTING, "").isdigit():
        budget = min(budget, int(extra[BUDGET_SETTING]))
    calls = len(unmirrored) * CALLS_PER_UNMIRRORED
    if args.kind == "/ticket not mirrored" and calls > budget:
        print(
            f"note: {len(unmirrored)} tickets the mirror lacks take about {calls:.0f} Zendesk "
            f"calls, past the budget of {budget:,} a minute: later rounds would wait for it",
            file=sys.stderr,
        )
    with answer_world("probe", unmirrored) as world:
        postgres = not args.sqlite and world.pg_url is not None
        if not args.sqlite and not postgres:
            print(f"note: {PG_SKIP}; probing SQLite instead", file=sys.stderr)
        setup = (
            Setup("PostgreSQL 2 processes", world.pg_url or "", 2)
            if postgres
            else Setup("SQLite 1 process", world.sqlite_url, 1)
        )
        print(f"{setup.label}, {args.kind} at c{args.concurrency}, {args.count} a round")
        with servers(
            setup, world.fake_slack, world.zendesk, extra_env=extra, log_prefix="probe"
        ) as (rotabot, bolt):
            added = rotabot.run(
                ("/rota", lambda _n: "add " + " ".join(f"<@{u}>" for u in MEMBERS)),
                concurrency=1,
                count=1,
            )
            if added.errors:
                print("`/rota add` was not answered: see benchmarks/results/run/", file=sys.stderr)
                return 1
            kind = kinds(unmirrored)[args.kind]
            if args.bolt:
                # As the ack benchmark: a click's floor is bare Bolt's click, else its command.
                floor: Kind = kind if kind[0] is None else ("/rota", lambda _n: "")
                bolt.run(floor, concurrency=10, count=WARM_UP)
                acks = bolt.run(floor, concurrency=args.concurrency, count=args.count)
                print(
                    f"bare Bolt ack: p50 {acks.p(0.5):.1f}  p99 {acks.p(0.99):.1f} ms;"
                    f" the answers' limit, 3x its p99 + 50 ms: {3 * acks.p(0.99) + 50:.1f} ms"
                )
            rotabot.run(kind, concurrency=10, count=WARM_UP)
            for number in range(args.rounds):
                before = reading(rotabot, postgres=postgres)
                run = rotabot.run(kind, concurrency=args.concurrency, count=args.count)
                used = used_between(before, reading(rotabot, postgres=postgres))
                print(round_line(number, run, used, args.count, postgres=postgres), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
