"""Every job against an absence: nobody away is sent a DM; what was theirs reaches someone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.jobs import client_waiting, commitments, weekly_summary
from bot.jobs.base import Job
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.jobs.conftest import WORKING_NOW
from tests.jobs.digest_helpers import U_ALICE, U_SAM, away, digest_lines
from tests.jobs.test_client_waiting import at as december
from tests.jobs.test_client_waiting import conversations
from tests.jobs.test_commitments import at, desk, promise

__all__ = ["conversations", "desk"]


def test_any_job_holds_a_dm_to_someone_away_until_they_are_back(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    today = WORKING_NOW.date()
    away(services, "U1", today, today)
    report = run_job(services, greetings_job, now=WORKING_NOW)
    assert report.summary == "sent 2 of 2 due message(s); U1 away today: theirs wait"
    assert fake_slack.messages_to("U1") == []
    tomorrow = WORKING_NOW.replace(day=WORKING_NOW.day + 1)
    assert run_job(services, greetings_job, now=tomorrow).sent == 1
    assert len(fake_slack.messages_to("U1")) == 1


def test_a_promise_of_someone_away_waits_for_them_when_nobody_can_cover(
    desk: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    promise(slack, fake_slack, "1 wed 5pm", user="UB")
    # Bob is away Wed–Thu; so is Alice, who is on support this week.
    away(desk, "UB", date(2026, 12, 2), date(2026, 12, 3))
    away(desk, "UA", date(2026, 12, 2), date(2026, 12, 3))
    fake_slack.clear()
    for when in (at(2, 15, 0), at(2, 17, 0), at(3, 9, 0), at(3, 10, 0)):
        run_job(desk, commitments.JOB, now=when)
    assert fake_slack.messages_to("UB") == [] and fake_slack.messages_to("UA") == []
    assert len(fake_slack.messages_to("CSUP")) == 1  # the channel hears it is overdue
    # Friday, back: the latest stage reaches him.
    run_job(desk, commitments.JOB, now=at(4, 9, 0))
    [reminder] = fake_slack.messages_to("UB")
    assert "is still open" in FakeSlack.texts(reminder)


def test_client_waiting_goes_to_the_person_on_support_while_the_assignee_is_away(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    away(conversations, U_ALICE, date(2026, 12, 1), date(2026, 12, 1))
    assert run_job(conversations, client_waiting.JOB, now=december(1, 15)).sent == 1
    assert fake_slack.messages_to(U_ALICE) == []
    (digest,) = fake_slack.messages_to(U_SAM)
    assert digest_lines(digest, "waiting") == ["#201 Question 201", "#202 Question 202"]


def test_the_weekly_summary_is_a_channel_post_and_no_dm(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    away(conversations, U_SAM, date(2026, 11, 30), date(2026, 12, 4))
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert run_job(conversations, weekly_summary.JOB, now=monday).sent == 1
    assert [call.args["channel"] for call in fake_slack.calls_to("chat.postMessage")] == ["C1"]
