"""One commitments run, one message per person: reminders due together arrive together."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import col, select

from bot.cli import main
from bot.jobs import commitments
from bot.jobs.base import JobContext
from bot.jobs.delivery import Part
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.nudge_ledger import Nudge
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.jobs.test_commitments import at, desk, promise

__all__ = ["desk"]


def message_of(call: Any) -> dict[str, Any]:
    return {"ts": "1.1", "text": call.args["text"], "blocks": call.args["blocks"]}


def test_two_reminders_due_in_one_run_arrive_as_one_message_soonest_first(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    promise(slack, fake_slack, "1 today 5pm send the plan")
    promise(slack, fake_slack, "1 today 3pm call back")
    fake_slack.clear()
    # Wednesday 09:00: both are overdue, in the same run.
    run_job(desk, commitments.JOB, now=at(2, 9, 0))
    [message] = fake_slack.messages_to("UA")
    text = FakeSlack.texts(message)
    assert message.args["text"].startswith("2 reminders: Your promised update on #1 is overdue.")
    assert "*2 reminders*, soonest due first" in text
    assert text.index("call back") < text.index("send the plan")
    done = [
        element
        for block in message.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == "Done — client updated"
    ]
    assert len(done) == 2 and done[0]["value"] != done[1]["value"]
    # Each stage of each promise is in the ledger, both pointing at the one message.
    with desk.session() as session:
        sent = session.exec(select(Nudge).where(col(Nudge.sent_at).is_not(None))).all()
    assert sorted(n.key.rsplit(":", 1)[-1] for n in sent) == ["overdue", "overdue"]
    assert len({(n.channel, n.ts) for n in sent}) == 1
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 9, 10))
    assert fake_slack.messages_to("UA") == []

    # Done on one settles that one only; the other keeps its buttons.
    clock.set(at(2, 9, 15))
    slack.click(done[0], user="UA", message=message_of(message))
    update = fake_slack.responses[-1].body
    assert update["replace_original"] is True
    remaining = FakeSlack.texts(update)
    assert "kept — marked done by <@UA>" in remaining
    assert "send the plan" in remaining and "call back" not in remaining
    assert [b["value"] for b in _buttons(update, "Done — client updated")] == [done[1]["value"]]


def _buttons(message: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    ]


def test_new_time_on_a_shared_message_confirms_in_a_line_of_its_own(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    promise(slack, fake_slack, "1 today 3pm")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 9, 0))
    [message] = fake_slack.messages_to("UA")
    first = _buttons(message.args, "New time…")[0]
    slack.click(first, user="UA", message=message_of(message))
    view = fake_slack.last("views.open").args["view"]
    values = {
        "promise_date": {"date": {"type": "datepicker", "selected_date": "2026-12-03"}},
        "promise_time": {"time": {"type": "timepicker", "selected_time": "11:00"}},
    }
    assert slack.submit_view(view, values, user="UA").status_code == 200
    assert fake_slack.calls_to("chat.update") == []
    assert "now due *Thu 3 Dec, 11:00 GMT*" in fake_slack.last("chat.postMessage").args["text"]


def test_parts_from_several_sources_share_the_message_and_the_block_limit(
    desk: Services, fake_slack: FakeSlack, monkeypatch: Any
) -> None:
    def notes(ctx: JobContext) -> list[Part]:
        # Another source (time-boxes, help requests…): 20 items of 3 blocks each.
        return [
            Part(
                key=f"test-note:{number}",
                recipient="UB",
                text=f"note {number}",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"note {number}"}},
                    {"type": "divider"},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}]},
                ],
                when=at(2, 9, 0),
            )
            for number in range(20)
        ]

    monkeypatch.setattr(commitments, "SOURCES", (*commitments.SOURCES, notes))
    run_job(desk, commitments.JOB, now=at(2, 9, 0))
    [first] = fake_slack.messages_to("UB")
    assert len(first.args["blocks"]) <= 50  # 12 notes fit (1 + 12×3 + 11 dividers)
    assert _sections(first) == 12
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 9, 10))
    [second] = fake_slack.messages_to("UB")
    assert _sections(second) == 8
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(2, 9, 20))
    assert fake_slack.messages_to("UB") == []


def _sections(call: Any) -> int:
    return sum(block["type"] == "section" for block in call.args["blocks"])


def test_a_dry_run_from_the_command_line_prints_the_one_message_with_both_keys(
    desk: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    promise(slack, fake_slack, "1 today 5pm")
    promise(slack, fake_slack, "1 today 3pm")
    fake_slack.clear()
    monkeypatch.setenv("DATABASE_URL", desk.settings.database_url)
    monkeypatch.setenv("SLACK_API_URL", desk.settings.slack_api_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["jobs", "run", "commitments", "--at", "2026-12-02T09:00", "--dry-run"]) == 0
    out = capsys.readouterr().out
    # One message, both keys, soonest due first (the 3pm promise was recorded second).
    keys = re.search(r"→ UA \[commitments:(\d+):overdue, commitments:(\d+):overdue\]", out)
    assert keys is not None and int(keys.group(1)) > int(keys.group(2))
    assert "*2 reminders*, soonest due first" in out
    assert "commitments: dry run: 1 message(s) would be sent" in out
    assert fake_slack.calls_to("chat.postMessage") == []
