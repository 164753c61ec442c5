"""`rotabot doctor`: Zendesk credentials and agents without Slack; shared rota channels."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.db import make_engine, session_scope
from bot.store.rota import create_rota
from bot.store.rota_cover import surface_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def operator(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
) -> FakeZendesk:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ZENDESK_", "ROTABOT_", "DATABASE_URL", "PORT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rotabot.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    monkeypatch.setenv("ZENDESK_URL", fake_zendesk.url)
    monkeypatch.setenv("ZENDESK_EMAIL", fake_zendesk.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", fake_zendesk.token)
    monkeypatch.setenv("ZENDESK_WEBHOOK_SECRET", "w")
    assert main(["db", "upgrade"]) == 0
    return fake_zendesk


def doctor_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    main(["doctor"])
    return [line for line in capsys.readouterr().out.splitlines() if "zendesk" in line]


def test_an_admin_token_may_use_the_export(
    operator: FakeZendesk, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["doctor"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "zendesk" in line]
    assert lines == [
        f"✓ zendesk: connected to {operator.url} as Rotabot (admin); "
        "the incremental export is allowed, so a first sync (0 tickets changed in 30 days) "
        "takes about 1 minute",
        "✓ zendesk people: no Zendesk agents mirrored yet; `rotabot jobs run sync` fetches them",
    ]
    assert [r.path for r in operator.requests] == ["/api/v2/users/me.json", "/api/v2/search.json"]


def test_an_agent_token_is_told_it_needs_an_admin(
    operator: FakeZendesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    operator.set_me_role("agent")
    operator.add_user(1, name="Carol Client", email="carol@acme.test", role="end-user")
    for n in range(1, 1201):
        operator.add_ticket(n, subject="s", requester_id=1)
    monkeypatch.delenv("ZENDESK_WEBHOOK_SECRET")
    assert doctor_lines(capsys)[0] == (
        f"✓ zendesk: connected to {operator.url} as Rotabot (agent): the incremental export "
        "needs an admin's API token, so the sync uses the slower Search API instead, reading "
        "each ticket's comments one by one, so a first sync (1,200 tickets changed in 30 days) "
        "takes about 12 minutes; set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for a "
        "complete, faster sync; ZENDESK_WEBHOOK_SECRET is not set, so /zendesk/webhook is "
        "refused and tickets refresh only at each sync"
    )


def test_wrong_credentials_say_what_to_check(
    operator: FakeZendesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "wrong")
    assert doctor_lines(capsys)[0] == (
        "✗ zendesk: Zendesk refused Rotabot's credentials (401): "
        "check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    )


def test_agents_without_a_slack_account_are_listed_not_failed(
    operator: FakeZendesk, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    operator.add_user(1, name="Carol Client", email="carol@acme.test", role="end-user")
    operator.add_user(7, name="Alice Agent", email="alice@team.test", role="agent")
    operator.add_user(8, name="Bob Admin", email="bob@team.test", role="admin")
    yesterday = operator.now() - timedelta(days=1)
    operator.add_ticket(101, subject="One", requester_id=1, assignee_id=7, created_at=yesterday)
    operator.add_comment(101, author_id=8, body="Hi", created_at=yesterday)
    fake_slack.add_user("UBOB", name="bob", email="bob@team.test")
    assert main(["jobs", "run", "sync"]) == 0
    capsys.readouterr()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert (
        "✓ zendesk people: 1 of 2 Zendesk agents have no Slack account with the same email, "
        "so their nudges go to whoever is on support: Alice Agent <alice@team.test>"
    ) in out


def test_a_rota_channel_shared_with_another_organization_is_a_warning(
    operator: FakeZendesk, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(os.environ["DATABASE_URL"])
    with session_scope(engine) as session:
        for channel in ("CTEAM", "CACME"):
            create_rota(session=session, channel_id=channel, created_by="U1", now=NOW)
    engine.dispose()
    fake_slack.add_channel("CTEAM", name="support")
    fake_slack.add_channel("CACME", name="support-acme", ext_shared=True)
    capsys.readouterr()
    assert main(["doctor"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "rota channels" in line]
    assert line == (
        "! rota channels: <#CACME> may be shared with another organization (Slack Connect), "
        "or Slack would not say: Rotabot leaves ticket subjects and notes out of its lines "
        "there. Keep each rota in a channel of your own workspace only."
    )
    fake_slack.add_channel("CACME", name="support-acme")
    capsys.readouterr()
    main(["doctor"])
    assert "✓ rota channels: none of the 2 is shared with another organization" in (
        capsys.readouterr().out
    )


def user_group_line(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["doctor"])
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "user groups" in line]
    return code, line


def test_user_groups_on_a_free_workspace_warn_then_fail_once_one_is_linked(
    operator: FakeZendesk, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.add_usergroup("S1", handle="support", users=("U1",))
    assert user_group_line(capsys) == (
        0,
        "✓ user groups: Slack allows them; no rota links one yet (`/rota group @handle`)",
    )
    fake_slack.free_plan()
    code, line = user_group_line(capsys)
    assert code == 0
    assert line.startswith(
        "! user groups: no rota links one, and slack refused the user group (paid_teams_only). "
        "User groups need a paid Slack plan"
    )
    engine = make_engine(os.environ["DATABASE_URL"])
    with session_scope(engine) as session:
        rota = create_rota(session=session, channel_id="CTEAM", created_by="U1", now=NOW)
        assert rota.id is not None
        surface = surface_of(session=session, rota_id=rota.id)
        surface.usergroup_id, surface.usergroup_handle = "S1", "support"
    engine.dispose()
    code, line = user_group_line(capsys)
    assert code == 1
    assert line.startswith(
        "✗ user groups: Slack refused the user group (paid_teams_only). User groups need a paid "
        "Slack plan, and this workspace is on the free one."
    )
