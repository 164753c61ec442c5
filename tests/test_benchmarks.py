"""The benchmarks are scripts, not tests; these only keep them importable and their table right."""

from __future__ import annotations

from benchmarks.__main__ import BENCHMARKS
from benchmarks.table import markdown


def test_every_benchmark_is_wired_in() -> None:
    assert list(BENCHMARKS) == [
        "ack",
        "cpu",
        "jobs",
        "sync",
        "budget",
        "memory",
        "ack_socket",
        "socket_adapters",
    ]


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


def test_capacity_is_the_highest_rate_found_to_hold() -> None:
    from benchmarks.ack import highest_rate

    tried: list[float] = []

    def holds_below_300(rate: float) -> bool:
        tried.append(rate)
        return rate < 300

    # Doubling from 25 holds up to 200 and fails at 400; halving the gap: 300 ✗, 250 ✓, 275 ✓.
    assert highest_rate(holds_below_300, first=25, most=3200, bisections=3) == 275
    assert tried == [25, 50, 100, 200, 400, 300, 250, 275]
    assert highest_rate(lambda _rate: False, first=25, most=3200, bisections=3) == 0
    assert highest_rate(lambda _rate: True, first=25, most=100, bisections=3) == 100


def test_an_ack_shows_the_answer_only_when_it_carries_one() -> None:
    from benchmarks.http_load import shown_in_ack

    json_type = "application/json;charset=utf-8"
    assert shown_in_ack(b'{"text": "Support rota", "response_type": "ephemeral"}', json_type)
    assert shown_in_ack(b'{"blocks": [{"type": "section"}]}', json_type)
    # A bare ack, or "Working on it…", leaves the answer still to come.
    assert not shown_in_ack(b"", "text/plain")
    assert not shown_in_ack('{"text": "Working on it…"}'.encode(), json_type)
    assert shown_in_ack(b"Got it.", "text/plain;charset=utf-8")


def test_the_probe_reads_cpu_and_switches_and_prints_a_round() -> None:
    import os

    from benchmarks.http_load import Run
    from benchmarks.probe import Reading, cpu_ms, round_line, switches, used_between

    me = [os.getpid()]
    spent = cpu_ms(me)
    sum(range(200_000))  # some CPU of this process's own
    assert cpu_ms(me) >= spent > 0
    assert cpu_ms(me, reaped=True) >= cpu_ms(me)
    assert cpu_ms([2**22 + 1]) == 0  # gone (above the kernel's largest pid)
    mine = switches(me)
    assert (os.getpid(), os.getpid()) in mine  # the main thread's id is the process's
    assert all(count >= 0 for count in mine.values())

    # Thread 2 ran 30 switches in the round, thread 3 ended in it, thread 4 began in it.
    before = Reading(20.0, 10.0, 6.0, {(1, 2): 10, (1, 3): 500})
    after = Reading(40.0, 20.0, 10.0, {(1, 2): 40, (1, 4): 10})
    used = used_between(before, after)
    assert (used.switches, used.threads_ended) == (40, 1)

    run = Run(latencies=[10.0, 30.0], by_server={0: [10.0], 1: [30.0]})
    line = round_line(2, run, used, 2, postgres=True)
    assert line.startswith("round 2: p50 ")
    assert "#0 10/10  #1 30/30" in line
    assert "servers 10.00, load and fakes 5.00, PostgreSQL 2.00" in line
    assert "switches/request 20.0, 1 thread ended" in line
    assert "PostgreSQL" not in round_line(2, run, used, 2, postgres=False)
