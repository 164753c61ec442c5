"""`python -m benchmarks.table`: the README's Performance table, from the last results JSON.

Prints Markdown: a line saying when, on what machine and with what verdicts, then one row per
target. Paste it over the table in README.md after a full `python -m benchmarks` run.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from benchmarks.common import RESULTS

ORDER = ("ack", "cpu", "ack_socket", "socket_adapters", "jobs", "sync", "budget", "memory")
TITLES = {
    "ack": "HTTP answers",
    "cpu": "CPU per request",
    "ack_socket": "Socket Mode answers",
    "socket_adapters": "Socket Mode lifecycle",
    "jobs": "Job scaling",
    "sync": "Zendesk sync",
    "budget": "Zendesk budget claim",
    "memory": "Memory at rest",
}


def load() -> list[dict[str, Any]]:
    found = []
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if path.exists():
            found.append(json.loads(path.read_text()))
    return found


def markdown(results: list[dict[str, Any]]) -> str:
    if not results:
        return "No results yet: run `python -m benchmarks` first."
    checks = [check for result in results for check in result["checks"]]
    counts = {v: sum(c["result"] == v for c in checks) for v in ("PASS", "FAIL", "SKIP")}
    dates = sorted(result["date"] for result in results)
    machine = results[0]["machine"]
    verdicts = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    lines = [
        f"Results of {dates[0][:10]} ({dates[0][11:16]}–{dates[-1][11:16]} UTC) on a machine "
        f"with {machine['cores']} cores and {machine['ram_gb']} GB RAM, Python "
        f"{machine['python']}: {verdicts}.",
        "",
        "| Benchmark | Target | Measured | Result |",
        "|---|---|---|---|",
    ]
    for result in results:
        title = TITLES.get(result["benchmark"], result["benchmark"])
        for check in result["checks"]:
            lines.append(
                f"| {title} | {check['target']} | {check['measured']} | {check['result']} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(load()))
    sys.exit(0)
