"""`python -m benchmarks`: every benchmark, then one line per target with its verdict."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from benchmarks import ack, ack_socket, budget, cpu, jobs, memory, socket_adapters, sync
from benchmarks.common import Check, machine

BENCHMARKS: dict[str, Callable[[], list[Check]]] = {
    "ack": ack.run,
    "cpu": cpu.run,
    "jobs": jobs.run,
    "sync": sync.run,
    "budget": budget.run,
    "memory": memory.run,
    "ack_socket": ack_socket.run,
    "socket_adapters": socket_adapters.run,
}


def main(names: list[str]) -> int:
    """Run the named benchmarks (all by default); exit 1 when any target failed."""
    chosen = names or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    print(f"machine: {machine()}")
    started = time.monotonic()
    results: dict[str, list[Check]] = {}
    for name in chosen:
        began = time.monotonic()
        try:
            results[name] = BENCHMARKS[name]()
        except Exception as error:
            # One broken benchmark must not hide the others' figures.
            traceback.print_exc()
            why = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            results[name] = [Check(f"{name} ran", "crashed", False, why)]
        print(f"({name} took {time.monotonic() - began:.0f} s)")
    checks = [c for found in results.values() for c in found]
    counts = {
        verdict: sum(c.verdict == verdict for c in checks) for verdict in ("PASS", "FAIL", "SKIP")
    }
    print(
        f"\n{counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['SKIP']} SKIP "
        f"in {time.monotonic() - started:.0f} s; JSON in benchmarks/results/"
    )
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
