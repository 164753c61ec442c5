"""Two worker processes on one PostgreSQL database never send the same nudge twice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.slack_api import FakeSlack

REPO = Path(__file__).resolve().parents[2]


def test_two_processes_racing_send_each_nudge_once(pg_url: str, fake_slack: FakeSlack) -> None:
    count = 60
    start_at = f"{time.time() + 2.0:.3f}"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.jobs.race_worker",
                pg_url,
                fake_slack.url,
                start_at,
                str(count),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    sent = [int(out.strip()) for out, _ in outputs]
    assert sum(sent) == count
    channels = [call.args["channel"] for call in fake_slack.calls_to("chat.postMessage")]
    assert sorted(channels) == sorted(f"U{i}" for i in range(count))
