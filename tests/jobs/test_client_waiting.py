"""`client-waiting` end to end: Zendesk conversations → sync → the job → DMs and the channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs import all_jobs, client_waiting
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import (
    ALICE,
    CHANNEL,
    CLIENT,
    U_ALICE,
    U_SAM,
    digest_lines,
    mirror,
    team,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026, GMT."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def conversations(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    """On Tuesday 1 Dec the client wrote on 201 at 10:00, 202 at 11:00 and 203 at 13:00."""
    clock.set(at(1, 14, 50))
    team(zendesk_services, fake_slack, fake_zendesk)
    for ticket_id, hour in ((201, 10), (202, 11), (203, 13), (204, 9), (205, 9)):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Question {ticket_id}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            organization_id=50,
            status="pending" if ticket_id == 205 else "open",
            created_at=at(1, hour),
        )
        fake_zendesk.add_comment(ticket_id, author_id=CLIENT, body="Help", created_at=at(1, hour))
    # We answered 204 and 205; 205 is pending on the client, who has not written since.
    fake_zendesk.add_comment(204, author_id=ALICE, body="Fixed", created_at=at(1, 9, 30))
    fake_zendesk.add_comment(205, author_id=ALICE, body="Can you?", created_at=at(1, 9, 30))
    mirror(zendesk_services)
    fake_slack.clear()
    return zendesk_services


def run(services: Services, now: datetime) -> str:
    return run_job(services, client_waiting.JOB, now=now).summary


def test_most_waiting_first_with_the_next_steps(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    assert run(conversations, at(1, 15)) == "sent 1 of 1 due message(s)"
    (digest,) = fake_slack.messages_to(U_ALICE)
    assert digest_lines(digest, "waiting") == ["#201 Question 201", "#202 Question 202"]
    assert digest.args["text"] == "2 clients waiting on us"
    text = FakeSlack.texts(digest)
    assert ":hourglass: client waiting 5 working hours (since Tue 1 Dec, 10:00 GMT)" in text
    assert ":hourglass: client waiting 4 working hours (since Tue 1 Dec, 11:00 GMT)" in text
    link = FakeSlack.find_button(digest, "Open in Zendesk")
    assert link["url"].endswith("/agent/tickets/201")
    assert FakeSlack.find_button(digest, "Promise an update")["value"] == "201"
    assert FakeSlack.find_button(digest, "Escalate")["value"] == "201"
    assert fake_slack.messages_to(U_SAM) == [] and fake_slack.messages_to(CHANNEL) == []


def test_a_ticket_is_nudged_at_most_once_a_working_day_then_the_channel_is_told(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    def lines_sent() -> list[list[str]]:
        sent = [digest_lines(call, "waiting") for call in fake_slack.messages_to(U_ALICE)]
        fake_slack.clear()
        return sent

    run(conversations, at(1, 15))
    assert lines_sent() == [["#201 Question 201", "#202 Question 202"]]
    assert run(conversations, at(1, 16)) == "sent 0 of 0 due message(s)"
    # 203 reaches 4 working hours on Wednesday morning; the others are due again that day.
    run(conversations, at(2, 10))
    assert [[line.split()[0] for line in lines] for lines in lines_sent()] == [
        ["#201", "#202", "#203"]
    ]
    assert run(conversations, at(2, 14)) == "sent 0 of 0 due message(s)"
    # Thursday: 201 and 202 were nudged on two working days and still wait.
    assert run(conversations, at(3, 10)) == "sent 3 of 3 due message(s)"
    told = fake_slack.messages_to(CHANNEL)
    assert [call.args["text"] for call in told] == [
        "Still waiting: #201 Question 201. <@UALICE> was nudged about it on two working days.",
        "Still waiting: #202 Question 202. <@UALICE> was nudged about it on two working days.",
    ]
    assert "client waiting 2 working days" in FakeSlack.texts(told[0])
    FakeSlack.find_button(told[0], "Escalate")
    fake_slack.clear()
    # Friday: 203 joins them in the channel; 201 and 202 are not announced again.
    run(conversations, at(4, 10))
    assert [call.args["text"][:19] for call in fake_slack.messages_to(CHANNEL)] == [
        "Still waiting: #203"
    ]


def test_a_failed_send_is_retried_and_only_sent_lines_count(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postMessage", status=200, error="account_inactive")
    report = run_job(conversations, client_waiting.JOB, now=at(1, 15))
    assert report.sent == 0 and len(report.problems) == 1
    assert run(conversations, at(1, 15, 5)) == "sent 1 of 1 due message(s)"
    assert len(fake_slack.messages_to(U_ALICE)) == 1


def test_our_reply_ends_the_wait(
    conversations: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(at(1, 15, 30))
    fake_zendesk.add_comment(201, author_id=ALICE, body="Looking", created_at=at(1, 15, 20))
    fake_zendesk.update_ticket(201, updated_at=at(1, 15, 20))
    mirror(conversations)
    run(conversations, at(1, 15, 30))
    (digest,) = fake_slack.messages_to(U_ALICE)
    assert [line.split()[0] for line in digest_lines(digest, "waiting")] == ["#202"]


def test_nothing_on_a_bank_holiday(conversations: Services, fake_slack: FakeSlack) -> None:
    assert run(conversations, at(25, 10)).startswith(
        "outside working time: 1 message(s) wait until Tue 29 Dec, 09:00 GMT"
    )
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_later_run_the_same_day_carries_only_the_new_tickets(
    conversations: Services, fake_slack: FakeSlack
) -> None:
    run(conversations, at(1, 15))
    fake_slack.clear()
    # 203's client wrote at 13:00: four working hours at 17:00.
    assert run(conversations, at(1, 17)) == "sent 1 of 1 due message(s)"
    (later,) = fake_slack.messages_to(U_ALICE)
    assert [line.split()[0] for line in digest_lines(later, "waiting")] == ["#203"]
    assert later.args["text"] == "1 client waiting on us"


def test_a_dry_run_records_nothing(conversations: Services, fake_slack: FakeSlack) -> None:
    run(conversations, at(1, 9, 30))  # a real run has matched Alice to her Slack account
    printed: list[str] = []
    report = run_job(
        conversations, client_waiting.JOB, now=at(1, 15), dry_run=True, echo=printed.append
    )
    assert report.summary == "dry run: 1 message(s) would be sent"
    assert printed[0].startswith("→ UALICE [client-waiting:UALICE:2026-12-01:")
    assert fake_slack.calls_to("chat.postMessage") == []
    # Nothing was recorded, so the real run still sends the same digest.
    assert run(conversations, at(1, 15)) == "sent 1 of 1 due message(s)"


def test_both_jobs_are_registered_with_the_design_schedules() -> None:
    jobs = all_jobs()
    assert jobs["priority-review"].default_schedule == "30 9 * * mon-fri"
    # The morning's waiting list is part of the 09:30 briefing; the job runs in the afternoon.
    assert jobs["client-waiting"].default_schedule == "0 14 * * mon-fri"
