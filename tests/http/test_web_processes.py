"""Two `rotabot serve` processes on one PostgreSQL database, and the worker's sync in a third:
what is written through one is in the other's next answer, remembered answers included."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.jobs import all_jobs
from bot.jobs.runner import run_job
from bot.services import build_services
from bot.settings import Settings
from tests.conftest import PG_SKIP_REASON
from tests.doors import (
    SIGNING_SECRET,
    MutableClock,
    SlackDoor,
    TrackingExecutor,
    ack_message,
    command_body,
    sign,
)
from tests.fakes.slack_api import FakeSlack, ResponseCall
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import seed_ticket

REPO = Path(__file__).resolve().parents[2]
# Another process's answer arrives over HTTP: waiting for it is bounded, never a fixed sleep.
WAIT_S = 30.0


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rotabot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def until(found: Callable[[], Any], what: str) -> Any:
    """Poll until `found()` is truthy: another process is answering, there is no clock to move."""
    deadline = time.monotonic() + WAIT_S
    while not (value := found()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


class WebProcess:
    """A `rotabot serve` subprocess, and a door sending it what Slack sends."""

    def __init__(self, env: dict[str, str], cwd: Path, fake_slack: FakeSlack) -> None:
        self.port = free_port()
        self.process = rotabot("serve", env={**env, "PORT": str(self.port)}, cwd=cwd)
        self.url = f"http://127.0.0.1:{self.port}"
        self.fake_slack = fake_slack
        self.door = SlackDoor(
            self.url,
            response_url=fake_slack.response_url,
            executor=TrackingExecutor(),
            show_reply=fake_slack.show_ack_reply,
        )
        self.door._counter = self.port * 1000  # response_url tokens distinct per process

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"rotabot serve exited: {self.process.communicate()[0]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def command(self, command: str, text: str, *, user: str = "U1") -> ResponseCall:
        """The answer the person sees: in the ack, or posted after it to the response_url."""
        before = len(self.fake_slack.responses)
        response = self.door.command(command, text, user=user, settle=False)
        assert response.status_code == 200, response.text
        return until(lambda: self.fake_slack.responses[before:], f"{command} {text}")[0]

    def stop(self) -> str:
        self.door.close()
        self.process.terminate()
        return self.process.communicate(timeout=30)[0]


@pytest.fixture
def web_env(pg_url: str, fake_slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(PG_SKIP_REASON)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {
        **keep,
        "DATABASE_URL": pg_url,
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
    }


@pytest.fixture
def zendesk_clock() -> MutableClock:
    return MutableClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def zendesk(zendesk_clock: MutableClock) -> Iterator[FakeZendesk]:
    fake = FakeZendesk(now=zendesk_clock)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def two_web_processes(
    web_env: dict[str, str], zendesk: FakeZendesk, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[tuple[WebProcess, WebProcess, dict[str, str]]]:
    env = {
        **web_env,
        "ZENDESK_URL": zendesk.url,
        "ZENDESK_EMAIL": zendesk.email,
        "ZENDESK_API_TOKEN": zendesk.token,
    }
    first = WebProcess(env, tmp_path, fake_slack)
    second = WebProcess(env, tmp_path, fake_slack)
    try:
        until(lambda: first.healthy() and second.healthy(), "both web processes to start")
        yield first, second, env
    finally:
        logs = first.stop() + second.stop()
        assert "Traceback" not in logs, logs


def test_a_swap_through_one_process_is_in_the_other_s_next_rota(
    two_web_processes: tuple[WebProcess, WebProcess, dict[str, str]], fake_slack: FakeSlack
) -> None:
    one, other, _env = two_web_processes
    one.command("/rota", "add <@U1> <@U2> <@U3>")
    before = FakeSlack.texts(other.command("/rota", ""))
    assert "swapped" not in before and "<@U3>" in before
    # Asked again, the other process answers from memory, in the ack itself.
    again = other.door.command("/rota", "", settle=False)
    assert FakeSlack.texts(ack_message(again) or {}) == before

    asked = FakeSlack.texts(one.command("/rota", "swap <@U3>", user="U2"))
    assert asked.startswith("I've asked <@U3> to take your week")
    dm = until(lambda: fake_slack.messages_to("U3"), "the swap request DM")[-1]
    # The other process answers /rota after the request, and remembers that answer...
    remembered = ack_message(other.door.command("/rota", "", settle=False))
    assert remembered is not None and "swapped" not in FakeSlack.texts(remembered)
    # ...then the swap is accepted through the first process...
    clicked = one.door.click(
        FakeSlack.find_button(dm, "Accept"), user="U3", channel="DU3", settle=False
    )
    assert clicked.status_code == 200
    until(
        lambda: any(r.body.get("text") == "Swapped." for r in fake_slack.responses),
        "the swap to be made",
    )
    # ...and the other process's next answer has it (in the ack, as a rota read always is).
    shown = ack_message(other.door.command("/rota", "", settle=False))
    assert shown is not None and "swapped with <@U2>" in FakeSlack.texts(shown)
    shown = ack_message(one.door.command("/rota", "", settle=False))
    assert shown is not None and "swapped with <@U2>" in FakeSlack.texts(shown)


def test_a_request_replayed_to_the_other_process_is_not_handled_again(
    two_web_processes: tuple[WebProcess, WebProcess, dict[str, str]], fake_slack: FakeSlack
) -> None:
    """Each process remembers a request in one statement of its own: the other still knows."""
    one, other, _env = two_web_processes
    one.command("/rota", "add <@U1> <@U2> <@U3>")
    body = command_body(
        "/rota",
        "",
        user="U1",
        channel="C1",
        response_url=fake_slack.response_url("replayed"),
        trigger_id="trigger-replayed",
    )
    headers = sign(body)
    answered = other.door.post("/slack/events", body, signed=False, headers=headers)
    shown = ack_message(answered)
    assert shown is not None and "<@U3>" in FakeSlack.texts(shown)
    replayed = [
        process.door.post("/slack/events", body, signed=False, headers=headers)
        for process in (one, other)
    ]
    assert [(r.status_code, r.content) for r in replayed] == [(200, b""), (200, b"")]
    # The same command, signed afresh, is a new request: answered in the ack as before.
    assert ack_message(one.door.command("/rota", "", settle=False)) is not None


def test_a_ticket_the_sync_changed_shows_its_new_card(
    two_web_processes: tuple[WebProcess, WebProcess, dict[str, str]],
    zendesk: FakeZendesk,
    zendesk_clock: MutableClock,
    tmp_path: Path,
) -> None:
    one, other, env = two_web_processes
    now = zendesk_clock()
    seed_ticket(zendesk)
    zendesk.update_ticket(101, updated_at=now - timedelta(minutes=5))
    # The first sync runs here (this test's process is a third one on the database)...
    first_sync(env)
    # The first card asks Slack who is asking (after the ack); the next comes in the ack.
    assert "*Priority*\nNormal" in FakeSlack.texts(other.command("/ticket", "101"))
    remembered = ack_message(other.door.command("/ticket", "101", settle=False))
    assert remembered is not None and "*Priority*\nNormal" in FakeSlack.texts(remembered)

    # Someone raises the priority in Zendesk; the export shows it a minute later.
    zendesk.update_ticket(101, priority="urgent", updated_at=now + timedelta(seconds=1))
    zendesk_clock.advance(minutes=2)
    # ...the next as the worker runs it, in a process of its own.
    sync(env, tmp_path)
    for process in (other, one):
        card = ack_message(process.door.command("/ticket", "101", settle=False))
        if card is None:  # the first process has not been asked yet: its card follows the ack
            card = process.command("/ticket", "101").body
        assert "*Priority*\nUrgent" in FakeSlack.texts(card)


def first_sync(env: dict[str, str]) -> None:
    settings = Settings(
        database_url=env["DATABASE_URL"],
        slack_bot_token=env["SLACK_BOT_TOKEN"],
        slack_api_url=env["SLACK_API_URL"],
        zendesk_url=env["ZENDESK_URL"],
        zendesk_email=env["ZENDESK_EMAIL"],
        zendesk_api_token=env["ZENDESK_API_TOKEN"],
    )
    services = build_services(settings)
    try:
        report = run_job(services, all_jobs()["sync"], now=datetime.now(UTC), echo=lambda _: None)
        assert not report.problems, report
    finally:
        services.engine.dispose()


def sync(env: dict[str, str], cwd: Path) -> None:
    """The worker's sync, run once in a process of its own (`rotabot jobs run sync`)."""
    job = rotabot("jobs", "run", "sync", env=env, cwd=cwd)
    output = job.communicate(timeout=60)[0]
    assert job.returncode == 0, output
