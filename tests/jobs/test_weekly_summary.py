"""The weekly summary, end to end: /rota over signed HTTP, tickets synced from the fake
Zendesk, the job run at chosen instants, the post asserted on the fake Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from bot.jobs import weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services
from tests.fakes.slack_api import FakeSlack


def test_weekly_summary_posts_on_the_first_working_day(
    team: Services, fake_slack: FakeSlack
) -> None:
    monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    report = run_job(team, weekly_summary.JOB, now=monday)
    assert report.sent == 1, report
    [post] = fake_slack.messages_to("CSUP")
    text = FakeSlack.texts(post)
    assert "Support week Mon 7 Dec – Fri 11 Dec" in text
    assert "*On support this week:* <@UB> (Mon 7 Dec – Fri 11 Dec)" in text
    assert "*Next week:* <@UC> (Mon 14 Dec – Fri 18 Dec)" in text
    assert "*Open tickets:* 1 urgent · 1 high · 1 normal · 1 low" in text
    assert "Site is down" in text and "Nobody's ticket" in text
    assert "*Clients waiting* (3)" in text and "*Priorities to review* (4)" in text
    assert (
        "*Last week* (Mon 30 Nov – Fri 4 Dec): 1 ticket opened, 0 solved, 0 swaps agreed." in text
    )
    assert run_job(team, weekly_summary.JOB, now=monday).sent == 0
    tuesday = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert run_job(team, weekly_summary.JOB, now=tuesday).sent == 0


def test_weekly_summary_lists_requesters_not_authorised(
    team: Services, fake_slack: FakeSlack
) -> None:
    monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    team.settings = replace(team.settings, authorised_tag="authorised")
    assert run_job(team, weekly_summary.JOB, now=monday).sent == 1
    text = FakeSlack.texts(fake_slack.messages_to("CSUP")[0])
    assert (
        "*Requesters not authorised* (1 open ticket active last week): "
        "check before changing anything"
    ) in text
    assert "Bob's ticket · *normal* · open · requester not authorised for Acme Council" in text
    assert "Site is down · *urgent* · open · requester not authorised" not in text


def test_weekly_summary_leaves_out_the_list_when_every_requester_is_authorised(
    team: Services, fake_slack: FakeSlack
) -> None:
    assert run_job(team, weekly_summary.JOB, now=datetime(2026, 12, 7, 9, 30, tzinfo=UTC)).sent
    assert "not authorised" not in FakeSlack.texts(fake_slack.messages_to("CSUP")[0])


def test_weekly_summary_waits_for_tuesday_after_easter_monday(
    team: Services, fake_slack: FakeSlack
) -> None:
    easter_monday = datetime(2027, 3, 29, 8, 30, tzinfo=UTC)  # 09:30 BST
    assert run_job(team, weekly_summary.JOB, now=easter_monday).sent == 0
    tuesday = datetime(2027, 3, 30, 8, 30, tzinfo=UTC)
    assert run_job(team, weekly_summary.JOB, now=tuesday).sent == 1
    assert "Support week Mon 29 Mar – Fri 2 Apr" in FakeSlack.texts(
        fake_slack.messages_to("CSUP")[0]
    )


def test_weekly_summary_in_a_channel_without_the_bot_says_how_to_fix(
    team: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found")
    report = run_job(team, weekly_summary.JOB, now=datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    assert report.sent == 0
    assert report.problems == [
        "could not post to <#CSUP>: the channel is gone or private: invite @Rotabot to it "
        "(/invite @Rotabot); will retry at the next run"
    ]
    later = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert run_job(team, weekly_summary.JOB, now=later).sent == 1


def test_dry_run_previews_the_summary_as_text(team: Services, fake_slack: FakeSlack) -> None:
    printed: list[str] = []
    monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    run_job(team, weekly_summary.JOB, now=monday, dry_run=True, echo=printed.append)
    assert printed[0].startswith("→ CSUP [weekly-summary:")
    assert "*On support this week:* <@UB>" in printed[0]
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("when", "week"),
    [
        # Monday 30 March 2026, 09:30 BST: the first week after the March clock change.
        (datetime(2026, 3, 30, 8, 30, tzinfo=UTC), "Mon 30 Mar – Fri 3 Apr"),
        # Monday 26 October 2026, 09:30 GMT: the first week after the October change.
        (datetime(2026, 10, 26, 9, 30, tzinfo=UTC), "Mon 26 Oct – Fri 30 Oct"),
    ],
)
def test_summary_and_handover_across_the_clock_changes(
    team: Services, fake_slack: FakeSlack, when: datetime, week: str
) -> None:
    with freeze_time("2020-01-01"):  # the jobs read `now` from their argument, never the clock
        with team.session() as session:
            [message] = weekly_summary.due(
                session, when, calendar=team.calendar, settings=team.settings
            )
    assert f"Support week {week}" in message.text
    # One hour before 09:00 local is not working time, whatever UTC says.
    early = when.replace(hour=when.hour - 1, minute=30)
    assert run_job(team, weekly_summary.JOB, now=early).sent == 0
    assert run_job(team, weekly_summary.JOB, now=when).sent == 1
