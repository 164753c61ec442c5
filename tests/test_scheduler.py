"""The scheduler: cron in the team's timezone, overrides from settings, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.jobs.base import Job, JobContext, JobReport
from bot.scheduler import build_scheduler, next_run, schedules_for
from bot.services import Services
from bot.settings import ConfigError, parse_settings
from tests.fakes.slack_api import FakeSlack

REPO = Path(__file__).resolve().parent.parent


def nothing(ctx: JobContext) -> JobReport:
    return JobReport(summary="nothing to do")


JOBS = {
    "weekly-summary": Job("weekly-summary", "30 9 * * mon-fri", "", nothing),
    "sync": Job("sync", "*/5 * * * *", "", nothing),
}


def test_cron_runs_in_the_team_timezone_across_clock_changes(services: Services) -> None:
    # Friday 27 March 2026 after 09:30 GMT → Monday 30 March 09:30 BST = 08:30 UTC.
    assert next_run("30 9 * * mon-fri", services, datetime(2026, 3, 27, 12, tzinfo=UTC)) == (
        datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    )
    # Friday 23 October 2026 (BST) → Monday 26 October 09:30 GMT = 09:30 UTC.
    assert next_run("30 9 * * mon-fri", services, datetime(2026, 10, 23, 12, tzinfo=UTC)) == (
        datetime(2026, 10, 26, 9, 30, tzinfo=UTC)
    )


def test_settings_override_a_schedule_and_unknown_names_are_refused() -> None:
    settings = parse_settings({"ROTABOT_SCHEDULE_WEEKLY_SUMMARY": "0 10 * * mon-fri"})
    assert settings.schedules == {"weekly-summary": "0 10 * * mon-fri"}
    assert schedules_for(JOBS, settings.schedules) == {
        "weekly-summary": "0 10 * * mon-fri",
        "sync": "*/5 * * * *",
    }
    with pytest.raises(ConfigError, match="ROTABOT_SCHEDULE_WEEKLY_SUMARY names no job"):
        schedules_for(JOBS, {"weekly-sumary": "0 10 * * *"})
    with pytest.raises(ConfigError, match="ROTABOT_SCHEDULE_SYNC is not a crontab"):
        parse_settings({"ROTABOT_SCHEDULE_SYNC": "every five minutes"})


def test_jobs_are_coalesced_single_instance_with_misfire_grace(services: Services) -> None:
    scheduler = build_scheduler(services, JOBS)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"weekly-summary", "sync"}
        for job in jobs.values():
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time == 15 * 60
        assert str(jobs["weekly-summary"].trigger.timezone) == "Europe/London"
    finally:
        scheduler.shutdown(wait=False)


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=env["HOME_DIR"],
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def worker_env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        HOME_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'rotabot.db'}",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=fake_slack.url,
    )
    upgrade = start(["db", "upgrade"], env)
    assert upgrade.wait(timeout=60) == 0
    return env


def wait_for_line(process: subprocess.Popen[str], needle: str) -> str:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} never logged; got: {''.join(seen)}")


def test_worker_stops_cleanly_on_sigterm(worker_env: dict[str, str]) -> None:
    worker = start(["worker"], worker_env)
    wait_for_line(worker, "Rotabot worker started")
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "Rotabot worker stopped" in err
    assert "Traceback" not in err


def test_run_serves_slack_and_schedules_jobs_then_stops_both(
    worker_env: dict[str, str], fake_slack: FakeSlack
) -> None:
    port = free_port()
    env = {**worker_env, "PORT": str(port), "SLACK_SIGNING_SECRET": "s"}
    process = start(["run"], env)
    wait_for_line(process, "Scheduler started")
    wait_for_line(process, f"listening on port {port}")
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["ok"] is True
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Scheduler has been shut down" in err
    assert "Traceback" not in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
