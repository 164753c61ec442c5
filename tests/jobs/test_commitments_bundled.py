"""One commitments run, one message per person: reminders due together arrive together."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import col, select

from bot.blocks.help import ask_help_button
from bot.blocks.timeboxes import on_it_button
from bot.cli import main
from bot.jobs import commitments
from bot.jobs.base import JobContext
from bot.jobs.delivery import Part
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.nudge_ledger import Nudge
from bot.store.timeboxes import Timebox
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.test_help import form as help_form
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


def _labels(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _click(
    slack: SlackDoor, fake_slack: FakeSlack, message: dict[str, Any], label: str
) -> dict[str, Any]:
    """Click `label` in `message` as it is now in the DM; the message as the click left it."""
    before = len(fake_slack.responses)
    slack.click(FakeSlack.find_button(message, label), user="UA", channel="DUA", message=message)
    (update,) = fake_slack.responses[before:]
    assert update.body["replace_original"] is True
    return {"ts": "1.1", "text": update.body["text"], "blocks": update.body["blocks"]}


PROMISE_BUTTONS = ["Done — client updated", "New time…", "Escalate"]
TIMEBOX_BUTTONS = ["Escalate", "One more hour", "Stop"]


@pytest.mark.parametrize("first", ["Stop", "Done — client updated"])
def test_a_time_box_and_a_promise_due_together_share_one_message_and_settle_apart(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock, first: str
) -> None:
    slack.click(on_it_button(1), user="UA", channel="CSUP")  # Tuesday 10:00
    promise(slack, fake_slack, "1 today 2pm")
    fake_slack.clear()
    # Noon: two working hours on the box, and the promise is due in two hours.
    run_job(desk, commitments.JOB, now=at(1, 12, 0))
    [sent] = fake_slack.messages_to("UA")
    message = message_of(sent)
    text = FakeSlack.texts(message)
    assert "*2 reminders*, soonest due first" in text
    assert "You've spent *2 working hours* on" in text and "is due *Tue 1 Dec, 14:00 GMT*" in text
    assert _labels(message) == [*TIMEBOX_BUTTONS, *PROMISE_BUTTONS]

    clock.set(at(1, 12, 5))
    after_first = _click(slack, fake_slack, message, first)
    settled = FakeSlack.texts(after_first)
    if first == "Stop":
        assert "Time-box on <" in settled and "stopped at 2 working hours" in settled
        assert _labels(after_first) == PROMISE_BUTTONS
        assert "is due *Tue 1 Dec, 14:00 GMT*" in settled
        second, second_text = "Done — client updated", "kept — marked done by <@UA>"
    else:
        assert "Promise on #1 kept — marked done by <@UA>" in settled
        assert _labels(after_first) == TIMEBOX_BUTTONS
        assert "You've spent *2 working hours* on" in settled
        second, second_text = "Stop", "stopped at 2 working hours"
    # The other item's buttons still work, and settle it without undoing the first.
    after_both = _click(slack, fake_slack, after_first, second)
    both = FakeSlack.texts(after_both)
    assert _labels(after_both) == []
    assert second_text in both and ("kept" in both) and ("stopped at" in both)
    with desk.session() as session:
        assert session.exec(select(Timebox.state)).all() == ["ended"]


def test_one_more_hour_on_a_shared_message_settles_the_time_box_only(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    slack.click(on_it_button(1), user="UA", channel="CSUP")
    promise(slack, fake_slack, "1 today 2pm")
    fake_slack.clear()
    run_job(desk, commitments.JOB, now=at(1, 12, 0))
    [sent] = fake_slack.messages_to("UA")
    clock.set(at(1, 12, 5))
    after = _click(slack, fake_slack, message_of(sent), "One more hour")
    text = FakeSlack.texts(after)
    assert ":stopwatch: One more hour on <" in text and "again at 3 working hours" in text
    assert "You've spent *2 working hours*" not in text
    assert _labels(after) == PROMISE_BUTTONS


def test_cant_make_it_on_a_shared_message_settles_the_help_only(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    # UA asks UB for a quarter of an hour at 12:15; UB accepts.
    slack.click(ask_help_button(1), user="UA", channel="CSUP")
    view = fake_slack.last("views.open").args["view"]
    filled = help_form(helper="UB", day="2026-12-01", time="12:15")
    assert slack.submit_view(view, filled, user="UA").status_code == 200
    question = fake_slack.messages_to("UB")[-1]
    slack.click(FakeSlack.find_button(question, "Accept"), user="UB", channel="DUB")
    promise(slack, fake_slack, "1 today 2pm")
    fake_slack.clear()
    # Noon: the help's reminder and the promise's, to UA in one message; UB's help alone.
    run_job(desk, commitments.JOB, now=at(1, 12, 0))
    [sent] = fake_slack.messages_to("UA")
    message = message_of(sent)
    assert ":alarm_clock: Soon: <@UB> helps <@UA>" in FakeSlack.texts(message)
    assert _labels(message) == ["Open in Zendesk", "Can't make it", *PROMISE_BUTTONS]
    [helpers] = fake_slack.messages_to("UB")
    assert _labels(message_of(helpers)) == ["Open in Zendesk", "Can't make it"]

    clock.set(at(1, 12, 2))
    after = _click(slack, fake_slack, message, "Can't make it")
    text = FakeSlack.texts(after)
    assert "<@UA> can't make the help with <" in text and "after all: it is cancelled" in text
    assert "Soon: <@UB> helps" not in text and "is due *Tue 1 Dec, 14:00 GMT*" in text
    assert _labels(after) == PROMISE_BUTTONS
    assert "it is cancelled" in fake_slack.messages_to("UB")[-1].args["text"]
    # On UB's own message, the help was all there was: it becomes the answer.
    clock.set(at(1, 12, 3))
    slack.click(
        FakeSlack.find_button(helpers, "Can't make it"),
        user="UB",
        channel="DUB",
        message=message_of(helpers),
    )
    answer = fake_slack.responses[-1].body
    assert answer["text"] == "That request has been answered already: nothing changed."
    assert answer["replace_original"] is False
