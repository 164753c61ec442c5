"""Delivery through the fake Slack: once, in working time, retried after failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.job_runs import job_runs
from bot.store.nudge_ledger import claim_nudge, nudge
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.jobs.conftest import WORKING_NOW


def test_each_message_is_sent_once_however_often_the_job_runs(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    first = run_job(services, greetings_job, now=WORKING_NOW)
    second = run_job(services, greetings_job, now=WORKING_NOW)
    assert first.sent == 3 and first.summary == "sent 3 of 3 due message(s)"
    assert second.sent == 0 and second.summary == "sent 0 of 0 due message(s)"
    posts = fake_slack.calls_to("chat.postMessage")
    assert [call.args["channel"] for call in posts] == ["U0", "U1", "U2"]
    assert [call.args["text"] for call in posts] == ["Hello U0", "Hello U1", "Hello U2"]
    with services.session() as session:
        record = nudge(session=session, key="greet:U1")
        assert record is not None and record.channel == "DU1" and record.ts


def test_nothing_is_sent_outside_working_time(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    for when in [
        datetime(2026, 12, 5, 10, 0, tzinfo=UTC),  # Saturday
        datetime(2026, 12, 4, 17, 30, tzinfo=UTC),  # Friday 17:30 GMT
        datetime(2026, 12, 7, 8, 59, tzinfo=UTC),  # Monday 08:59 GMT
        datetime(2027, 3, 29, 10, 0, tzinfo=UTC),  # Easter Monday 2027
        datetime(2026, 12, 25, 11, 0, tzinfo=UTC),  # Christmas Day
    ]:
        report = run_job(services, greetings_job, now=when)
        assert report.sent == 0
        assert "outside working time" in report.summary
    assert fake_slack.calls_to("chat.postMessage") == []
    report = run_job(services, greetings_job, now=datetime(2027, 3, 29, 10, 0, tzinfo=UTC))
    assert report.summary == "outside working time: 3 message(s) wait until Tue 30 Mar, 09:00 BST"


def test_a_late_run_after_the_clock_change_still_sends(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    # Monday 30 March 2026, 08:30 UTC is 09:30 BST: working time after the March change.
    assert run_job(services, greetings_job, now=datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).sent == 3
    # Monday 26 October 2026, 08:30 UTC is 08:30 GMT: not yet working time after October's.
    fake_slack.clear()
    report = run_job(services, greetings_job, now=datetime(2026, 10, 26, 8, 30, tzinfo=UTC))
    assert report.sent == 0


def test_rate_limits_and_server_errors_are_retried_within_the_run(
    services: Services, fake_slack: FakeSlack, greetings_job: Job, slept: list[float]
) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=3)
    fake_slack.fail("chat.postMessage", status=500)
    report = run_job(services, greetings_job, now=WORKING_NOW)
    assert report.sent == 3
    assert 3.0 in slept
    ok_posts = [call for call in fake_slack.calls_to("chat.postMessage") if call.ok]
    assert len(ok_posts) == 3


def test_a_lasting_failure_is_retried_at_the_next_run(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    fake_slack.fail("chat.postMessage", status=500, times=3)
    first = run_job(services, greetings_job, now=WORKING_NOW)
    assert first.sent == 2 and len(first.problems) == 1
    second = run_job(services, greetings_job, now=WORKING_NOW)
    assert second.sent == 1 and not second.problems
    delivered = [
        call.args["channel"] for call in fake_slack.calls_to("chat.postMessage") if call.ok
    ]
    assert sorted(delivered) == ["U0", "U1", "U2"]


def test_a_channel_the_bot_is_not_in_is_explained_and_retried(
    services: Services, fake_slack: FakeSlack
) -> None:
    def post_summary(ctx: JobContext) -> JobReport:
        return deliver(ctx, "summary", [Outgoing(key="s:1", recipient="C9", text="Summary")])

    job = Job(name="summary", default_schedule="* * * * *", description="", run=post_summary)
    fake_slack.fail("chat.postMessage", status=200, error="not_in_channel")
    report = run_job(services, job, now=WORKING_NOW)
    assert report.problems == [
        "could not post to <#C9>: Rotabot is not in the channel: invite it with /invite @Rotabot;"
        " will retry at the next run"
    ]
    with services.session() as session:
        run = job_runs(session=session)["summary"]
    assert not run.ok and run.error is not None and "invite it" in run.error
    assert run_job(services, job, now=WORKING_NOW).sent == 1


def test_a_crash_between_claim_and_send_is_healed_later(
    services: Services, fake_slack: FakeSlack, greetings_job: Job, clock: MutableClock
) -> None:
    clock.set(WORKING_NOW)
    with services.session() as session:
        claim_nudge(
            session=session,
            key="greet:U1",
            job="greetings",
            recipient="U1",
            worker="dead-worker",
            now=WORKING_NOW,
        )
    assert run_job(services, greetings_job, now=WORKING_NOW).sent == 2
    clock.advance(minutes=10)
    assert run_job(services, greetings_job, now=clock()).sent == 1
    assert sorted(c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")) == [
        "U0",
        "U1",
        "U2",
    ]


def test_a_run_at_a_past_time_does_not_make_fresh_claims_look_stale(
    services: Services, fake_slack: FakeSlack, greetings_job: Job, clock: MutableClock
) -> None:
    clock.set(WORKING_NOW)
    with services.session() as session:
        claim_nudge(
            session=session,
            key="greet:U1",
            job="greetings",
            recipient="U1",
            worker="busy-worker",
            now=WORKING_NOW,
        )
    # `rotabot jobs run --at` an hour earlier: the claim is a minute old, not an hour.
    clock.advance(minutes=1)
    an_hour_ago = WORKING_NOW - timedelta(hours=1)
    assert run_job(services, greetings_job, now=an_hour_ago).sent == 2
    assert "U1" not in [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")]


def test_dry_run_prints_and_records_nothing(
    services: Services, fake_slack: FakeSlack, greetings_job: Job
) -> None:
    printed: list[str] = []
    report = run_job(services, greetings_job, now=WORKING_NOW, dry_run=True, echo=printed.append)
    assert report.summary == "dry run: 3 message(s) would be sent"
    assert printed[0] == "→ U0 [greet:U0]\nHello U0\n"
    assert fake_slack.calls_to("chat.postMessage") == []
    with services.session() as session:
        assert job_runs(session=session) == {}
    assert run_job(services, greetings_job, now=WORKING_NOW).sent == 3
