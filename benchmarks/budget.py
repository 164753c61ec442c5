"""A claim on the Zendesk budget every process shares (PostgreSQL): the ring against counting.

Each Zendesk call any process makes first claims a slot in the database. The claim used to
count the last minute's calls (`zendesk_call`, indexed by kind and time), so with a budget of
2,500 calls a minute (the High Volume add-on) it read up to 2,500 rows under the lock every
process waits on. It now reads one slot of a ring. Both are measured here in one scratch
database, one claim at a time on one connection, each with every slot of the minute taken
(the claims then are told to wait: what a busy minute does) and with a budget of 100 (the
default), the four taking turns claim by claim. The counting one is the function the ring
replaced, with its index, from its own migration.

Targets: at 2,500 the ring's median claim is at most the counting one's; and the ring's
claim costs no more at 2,500 than at 100, give or take a quarter.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.ack import QUICK
from benchmarks.common import PG_SKIP, Check, check, percentile, report, scratch_postgres, skipped
from bot.store.migrate import migration
from bot.store.zendesk_sync import DatabaseBudget

CLAIMS = 50 if QUICK else 500
WINDOW = 60.0
BUDGETS = (100, 2500)
SAME_COST = 1.25


def counting_claim() -> str:
    """The counting claim as its migration made it, on its own table (`bench_zendesk_call`,
    with the index it had) and under its own name."""
    function = str(migration("c4e8b2d61f09").COUNTED_CLAIM)
    return (
        "CREATE TABLE bench_zendesk_call (id serial PRIMARY KEY,"
        " kind varchar(16) NOT NULL, at double precision NOT NULL);"
        " CREATE INDEX ix_bench_zendesk_call_kind_at ON bench_zendesk_call (kind, at);"
        f"{function.replace('zendesk_call', 'bench_zendesk_call')};"
    )


def measure(url: str) -> dict[str, dict[str, float]]:
    """Median and p99 of a claim (ms), per way and budget, every slot of the minute taken."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(counting_claim())
    ring = DatabaseBudget(engine, database_clock=False)  # both on the times given
    counted = engine.execution_options(isolation_level="AUTOCOMMIT")
    key = zlib.crc32(b"bench")

    def counted_claim(kind: str, *, limit: int, now: float) -> float:
        with counted.connect() as connection:
            wait = connection.execute(
                text("SELECT claim_bench_zendesk_call(:kind, :k, :now, :window, :limit)"),
                {"kind": kind, "k": key, "now": now, "window": WINDOW, "limit": limit},
            ).scalar_one()
        return float(wait)

    start = time.time()
    ways = {"ring": ring.claim, "counted": counted_claim}
    for budget in BUDGETS:
        for claim in ways.values():
            for n in range(budget):  # the minute's calls, every slot taken
                assert claim(f"b{budget}", limit=budget, now=start + n * 0.001) == 0.0
    timings: dict[str, list[float]] = {f"{n} {b}": [] for b in BUDGETS for n in ways}
    now = start + max(BUDGETS) * 0.001
    # In turn, each way at each budget, so that all meet the same moments of the machine
    # (which runs the same code twice as fast at one moment as at another).
    for _ in range(CLAIMS):
        for budget in BUDGETS:
            for name, claim in ways.items():
                began = time.perf_counter()
                waited = claim(f"b{budget}", limit=budget, now=now)
                timings[f"{name} {budget}"].append((time.perf_counter() - began) * 1000)
                assert waited > 0, f"{name} let a call past a spent budget"
    figures = {
        key: {
            "p50_ms": round(percentile(found, 0.5), 3),
            "p99_ms": round(percentile(found, 0.99), 3),
        }
        for key, found in timings.items()
    }
    engine.dispose()
    return figures


def run() -> list[Check]:
    with scratch_postgres("budget") as url:
        if url is None:
            return report(
                "budget",
                "A claim on the shared Zendesk budget",
                [skipped("claim on the shared Zendesk budget", PG_SKIP)],
                {},
            )
        figures = measure(url)
    ring_small, ring, counted = (
        figures["ring 100"]["p50_ms"],
        figures["ring 2500"]["p50_ms"],
        figures["counted 2500"]["p50_ms"],
    )
    found = [
        check(
            "claim at a budget of 2,500 a minute, every slot taken: ring p50 ≤ counting p50",
            ring,
            counted,
            "ms",
            note=f"counting {counted:.3f} ms (p99 {figures['counted 2500']['p99_ms']:.3f}); "
            f"ring p99 {figures['ring 2500']['p99_ms']:.3f} ms",
        ),
        check(
            f"ring claim p50 at 2,500 ≤ {SAME_COST:g}× at 100",
            ring,
            SAME_COST * ring_small,
            "ms",
            note=f"at 100: ring {ring_small:.3f} ms, "
            f"counting {figures['counted 100']['p50_ms']:.3f} ms",
        ),
    ]
    data: dict[str, Any] = {"claims": CLAIMS, "figures": figures}
    return report("budget", "A claim on the shared Zendesk budget", found, data)


if __name__ == "__main__":
    run()
