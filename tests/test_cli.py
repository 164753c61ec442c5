"""The `rotabot` command as an operator uses it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from tests.doors import SIGNING_SECRET, sign
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean directory and environment, as on a fresh machine."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ZENDESK_", "ROTABOT_", "DATABASE_URL", "PORT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rotabot.db'}")
    return tmp_path


def test_db_upgrade_creates_then_says_up_to_date(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "upgraded from empty" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_serve_on_an_unmigrated_database_says_to_upgrade(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert main(["serve"]) == 2
    assert capsys.readouterr().err.strip() == (
        "rotabot: the database has no Rotabot tables yet: run `rotabot db upgrade` first."
    )


def test_run_without_a_token_names_the_variable(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["run"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_doctor_passes_against_a_healthy_setup(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✓ settings: loaded (database sqlite:///")
    assert lines[1] == "✓ database: reachable and migrated (sqlite)"
    assert lines[2].startswith("✓ slack: connected as @rotabot in Acme")
    assert fake_slack.last("auth.test").headers["authorization"] == "Bearer xoxb-1"


def test_doctor_says_what_is_wrong_and_exits_non_zero(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    fake_slack.fail("auth.test", status=200, error="invalid_auth")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ database: the database has no Rotabot tables yet: run `rotabot db upgrade`" in out
    assert "✗ slack: auth.test failed with invalid_auth: the token is wrong or was revoked" in out


def test_doctor_reports_a_malformed_setting(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert main(["doctor"]) == 1
    assert capsys.readouterr().out.strip() == (
        "✗ settings: PORT must be a TCP port number between 1 and 65535, not 'eighty'."
    )


def rotabot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def base_env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'rotabot.db'}"}


def test_a_configuration_mistake_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    process = rotabot("serve", env={**base_env(tmp_path), "PORT": "-1"}, cwd=tmp_path)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        "rotabot: PORT must be a TCP port number between 1 and 65535, not '-1'."
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_the_production_server(tmp_path: Path, fake_slack: FakeSlack) -> None:
    port = free_port()
    env = {
        **base_env(tmp_path),
        "PORT": str(port),
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
    }
    upgrade = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert upgrade.wait(timeout=60) == 0
    server = rotabot("serve", env=env, cwd=tmp_path)
    try:
        health = None
        deadline = time.monotonic() + 30
        while health is None and time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.ConnectError:
                time.sleep(0.1)  # waiting for another process to bind; nothing to inject
        assert health is not None and health.json() == {"ok": True, "database": "ok"}
        assert health.headers["server"] == "rotabot"
        body = '{"type": "url_verification", "challenge": "c1"}'
        answer = httpx.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **sign(body)},
        )
        assert answer.json() == {"challenge": "c1"}
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    # Nothing at start-up an operator should worry about (Bolt's token notice included).
    assert [line for line in log.splitlines() if " WARNING " in line] == []


def test_a_refused_app_token_is_one_line(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeSocketMode() as sock:
        fake_slack.serve_socket_mode(sock.new_url, app_token="xapp-the-right-one")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
        monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-revoked")
        monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
        assert main(["db", "upgrade"]) == 0
        assert main(["run"]) == 2
    assert fake_slack.last("apps.connections.open").error == "invalid_auth"
    assert sock.connections == []
    err = capsys.readouterr().err.strip()
    assert err.startswith("rotabot: could not connect to Slack over Socket Mode (invalid_auth)")
    assert "check SLACK_APP_TOKEN" in err and "\n" not in err


def test_socket_mode_without_a_signing_secret_still_serves_http(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.http.server import build_wsgi
    from bot.services import build_services
    from bot.settings import load_settings
    from tests.doors import AppServer

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["db", "upgrade"]) == 0
    server = AppServer(build_wsgi(build_services(load_settings()))).start()
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        refused = httpx.post(f"{server.url}/slack/events", content=b"{}")
    finally:
        server.stop()
    assert refused.status_code == 404
    assert "arrive over Socket Mode" in refused.text


def test_an_unreachable_database_is_one_line_for_every_command(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////no/such/dir/rotabot.db")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    for args in (["jobs", "list"], ["jobs", "run", "sync", "--dry-run"], ["worker"]):
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("rotabot: cannot reach the database"), err
        assert "check DATABASE_URL" in err and "\n" not in err


def test_a_busy_port_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        monkeypatch.setenv("PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
        assert main(["db", "upgrade"]) == 0
        assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot listen on port" in err and "set PORT to a free port" in err
