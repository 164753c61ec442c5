"""`rotabot jobs list` and `rotabot jobs run` as an operator uses them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.cli
from bot.cli import main
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from tests.fakes.slack_api import FakeSlack

seen_at: list[datetime] = []


def hello(ctx: JobContext) -> JobReport:
    seen_at.append(ctx.now)
    return deliver(ctx, "hello", [Outgoing(key="hello:U1", recipient="U1", text="Hello there")])


JOBS = {
    "hello": Job("hello", "30 9 * * mon-fri", "says hello", hello),
    "quiet": Job("quiet", "*/5 * * * *", "does nothing", lambda ctx: JobReport("nothing to do")),
}


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack) -> FakeSlack:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rotabot.db'}")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setattr(bot.cli, "all_jobs", lambda: JOBS)
    monkeypatch.setattr("bot.scheduler.all_jobs", lambda: JOBS)
    seen_at.clear()
    assert main(["db", "upgrade"]) == 0
    return fake_slack


def test_dry_run_at_a_chosen_time_needs_no_slack_credentials(
    operator: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["jobs", "run", "hello", "--at", "2026-12-07T09:30", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "→ U1 [hello:U1]\nHello there" in out
    assert "hello: dry run: 1 message(s) would be sent" in out
    assert seen_at == [datetime(2026, 12, 7, 9, 30, tzinfo=UTC)]
    assert operator.calls == []


def test_at_is_read_in_the_team_timezone(
    operator: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["jobs", "run", "hello", "--at", "2026-06-01T09:30", "--dry-run"])
    main(["jobs", "run", "hello", "--at", "2026-06-01T09:30:00+00:00", "--dry-run"])
    assert seen_at == [
        datetime(2026, 6, 1, 8, 30, tzinfo=UTC),
        datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
    ]


def test_run_sends_then_list_shows_the_run(
    operator: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert main(["jobs", "run", "hello", "--at", "2026-12-07T10:00"]) == 0
    assert operator.last("chat.postMessage").args["text"] == "Hello there"
    assert main(["jobs", "run", "hello", "--at", "2026-12-07T10:05"]) == 0
    assert len(operator.calls_to("chat.postMessage")) == 1
    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["JOB", "SCHEDULE", "LAST", "RUN", "NEXT", "RUN", "LAST", "RESULT"]
    hello_line = next(line for line in lines if line.startswith("hello"))
    assert "30 9 * * mon-fri" in hello_line
    assert "sent 0 of 0 due message(s)" in hello_line
    quiet_line = next(line for line in lines if line.startswith("quiet"))
    assert "never" in quiet_line


def test_without_credentials_a_real_run_says_what_to_set(
    operator: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "run", "hello"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jobs", "run", "helo"], "there is no job called 'helo'; the jobs are: hello, quiet."),
        (
            ["jobs", "run", "hello", "--at", "next tuesday", "--dry-run"],
            "--at 'next tuesday' is not an ISO-8601 time",
        ),
    ],
)
def test_mistakes_are_one_line(
    operator: FakeSlack, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
