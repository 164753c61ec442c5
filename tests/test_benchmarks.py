"""The benchmarks are scripts, not tests; these only keep them importable and their table right."""

from __future__ import annotations

from benchmarks.__main__ import BENCHMARKS
from benchmarks.table import markdown


def test_every_benchmark_is_wired_in() -> None:
    assert list(BENCHMARKS) == ["ack", "jobs", "sync", "memory", "ack_socket", "socket_adapters"]


def test_the_readme_table_comes_from_the_results() -> None:
    result = {
        "benchmark": "sync",
        "date": "2026-11-27T11:04:11+00:00",
        "machine": {"cores": 2, "ram_gb": 23.5, "python": "3.11.7"},
        "checks": [
            {
                "target": "first sync ≥ 2,000 tickets/s",
                "measured": "2,100.0 tickets/s",
                "result": "PASS",
            },
            {"target": "incremental sync < 2 s", "measured": "0.27 s", "result": "PASS"},
        ],
    }
    assert markdown([result]).splitlines() == [
        "Results of 2026-11-27 (11:04–11:04 UTC) on a machine with 2 cores and 23.5 GB RAM, "
        "Python 3.11.7: 2 PASS.",
        "",
        "| Benchmark | Target | Measured | Result |",
        "|---|---|---|---|",
        "| Zendesk sync | first sync ≥ 2,000 tickets/s | 2,100.0 tickets/s | PASS |",
        "| Zendesk sync | incremental sync < 2 s | 0.27 s | PASS |",
    ]
    assert markdown([]) == "No results yet: run `python -m benchmarks` first."
