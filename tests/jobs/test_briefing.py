"""The morning briefing: priority reviews and clients waiting in one DM at 09:30, then the
afternoon client-waiting run with only what the morning did not carry."""

from __future__ import annotations

import pytest

from bot.blocks.digest import BRIEFING_LINES, Total, briefing_blocks, briefing_split
from bot.cli import main
from bot.jobs import client_waiting, priority_review
from bot.jobs.runner import run_job
from bot.services import Services
from bot.worktime import WorkCalendar
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import CLIENT, U_ALICE, digest_lines, mirror
from tests.jobs.test_client_waiting import at, conversations

__all__ = ["conversations"]


def test_one_briefing_with_both_lists_then_only_the_newly_waiting_in_the_afternoon(
    conversations: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    report = run_job(conversations, priority_review.JOB, now=at(2, 9, 30))
    assert report.summary == "sent 1 of 1 due message(s)"
    (briefing,) = fake_slack.messages_to(U_ALICE)
    assert briefing.args["text"] == (
        "Morning briefing: 5 tickets need a priority review · 3 clients waiting on us"
    )
    text = FakeSlack.texts(briefing)
    assert text.index("Priorities to review") < text.index("Clients waiting on us")
    assert digest_lines(briefing, "waiting") == [
        "#201 Question 201",
        "#202 Question 202",
        "#203 Question 203",
    ]
    assert FakeSlack.find_button(briefing, "Priority is right")
    assert FakeSlack.find_button(briefing, "Promise an update")
    # The 14:00 run: the morning carried every waiting ticket; the client writes on 204 at 09:45.
    fake_zendesk.add_comment(204, author_id=CLIENT, body="Still broken", created_at=at(2, 9, 45))
    fake_zendesk.update_ticket(204, updated_at=at(2, 9, 45))
    clock.set(at(2, 9, 50))
    mirror(conversations)
    fake_slack.clear()
    assert run_job(conversations, client_waiting.JOB, now=at(2, 14)).sent == 1
    (afternoon,) = fake_slack.messages_to(U_ALICE)
    assert digest_lines(afternoon, "waiting") == ["#204 Question 204"]
    # A rerun of the briefing sends nothing more.
    fake_slack.clear()
    assert run_job(conversations, priority_review.JOB, now=at(2, 14, 30)).sent == 0


def test_a_briefing_leaves_an_empty_list_out_and_fits_slack() -> None:
    assert (
        briefing_blocks(
            [], [], WorkCalendar(), now=at(2, 9, 30), review_total=Total(0), waiting_total=Total(0)
        )
        == []
    )
    assert briefing_split(30, 30) == (11, 11)
    assert briefing_split(30, 2) == (20, 2)
    assert briefing_split(3, 40) == (3, 19)
    assert 6 + 2 * BRIEFING_LINES <= 50


def test_a_dry_run_of_the_briefing_prints_both_lists_and_records_nothing(
    conversations: Services,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = conversations.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_API_URL", settings.slack_api_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["jobs", "run", "priority-review", "--at", "2026-12-02T09:30", "--dry-run"]) == 0
    out = capsys.readouterr().out
    # A dry run asks Slack nothing, so Alice's tickets (not yet matched to her) go to Sam.
    assert "→ USAM [priority-review:USAM:2026-12-02]" in out
    assert out.index("Priorities to review") < out.index("Clients waiting on us")
    assert fake_slack.calls_to("chat.postMessage") == []
    # Nothing was recorded: the afternoon run still carries every waiting ticket.
    assert run_job(conversations, client_waiting.JOB, now=at(2, 14)).sent == 1
    (afternoon,) = fake_slack.messages_to(U_ALICE)
    assert len(digest_lines(afternoon, "waiting")) == 3
