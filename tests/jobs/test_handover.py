"""The handover DMs and the weekly summary, end to end: /rota over signed HTTP, tickets synced
from the fake Zendesk, jobs run at chosen instants, messages asserted on the fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from bot.cli import main
from bot.jobs import handover, sync, weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

# Monday 30 November 2026, 10:00 GMT: the rota starts this week.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FRIDAY_1500 = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def team(
    zendesk_services: Services,
    slack: SlackDoor,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    clock: MutableClock,
) -> Services:
    """alice, bob and carol on the rota of #support; three tickets in Zendesk."""
    for user, name in [("UA", "alice"), ("UB", "bob"), ("UC", "carol"), ("UL", "lena")]:
        fake_slack.add_user(user, name=name, email=f"{name}@acme.test")
    clock.set(START)
    slack.command("/rota", "add <@UA> <@UB> <@UC>", user="UA", channel="CSUP")
    slack.command("/rota", "lead <@UL>", user="UA", channel="CSUP")
    fake_zendesk.add_organization(7, name="Acme Council")
    fake_zendesk.add_user(101, name="Alice", email="alice@acme.test", role="agent")
    fake_zendesk.add_user(102, name="Bob", email="bob@acme.test", role="agent")
    fake_zendesk.add_user(900, name="Client", email="client@council.test", role="end-user")
    created = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    tickets = [
        (1, "Site is down", "urgent", "open", 101),
        (2, "Change the footer", "low", "pending", 101),
        (3, "Nobody's ticket", "high", "new", None),
        (4, "Bob's ticket", "normal", "open", 102),
    ]
    for number, subject, priority, status, assignee in tickets:
        fake_zendesk.add_ticket(
            number,
            subject=subject,
            priority=priority,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            requester_id=900,
            assignee_id=assignee,
            organization_id=7,
            created_at=created if number != 4 else datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
        )
    fake_zendesk.add_comment(1, author_id=900, body="Help!", created_at=created)
    clock.set(datetime(2026, 12, 4, 14, 0, tzinfo=UTC))
    assert run_job(zendesk_services, sync.JOB, now=clock()).problems == []
    fake_slack.clear()
    return zendesk_services


def dms(fake_slack: FakeSlack, user: str) -> list[str]:
    return [FakeSlack.texts(call) for call in fake_slack.messages_to(user)]


def test_friday_handover_tells_outgoing_and_incoming_once(
    team: Services, fake_slack: FakeSlack
) -> None:
    report = run_job(team, handover.JOB, now=FRIDAY_1500)
    assert report.sent == 2, report
    [outgoing] = dms(fake_slack, "UA")
    assert "Your support week *Mon 30 Nov – Fri 4 Dec* in <#CSUP> is ending." in outgoing
    assert "<@UB> takes over on *Mon 7 Dec*." in outgoing
    # alice's tickets and the unassigned one, urgent first; bob's ticket is not hers.
    assert outgoing.index("Site is down") < outgoing.index("Nobody's ticket")
    assert "Bob's ticket" not in outgoing
    assert "*Waiting on the client*" in outgoing and "Change the footer" in outgoing
    [incoming] = dms(fake_slack, "UB")
    assert "You're on support from *Mon 7 Dec to Fri 11 Dec* in <#CSUP>." in incoming
    assert "Who to ask: <@UA> (on support until now), <@UL> (delivery lead)." in incoming
    assert FakeSlack.find_button(fake_slack.messages_to("UB")[0], "Open Zendesk")["url"].endswith(
        "/agent/filters"
    )
    assert run_job(team, handover.JOB, now=FRIDAY_1500).sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 12, 3, 15, 0, tzinfo=UTC),  # Thursday: not the last working day
        datetime(2026, 12, 4, 11, 0, tzinfo=UTC),  # Friday morning: too early
        datetime(2026, 12, 5, 15, 0, tzinfo=UTC),  # Saturday
        datetime(2026, 12, 4, 17, 45, tzinfo=UTC),  # Friday evening: out of hours
    ],
)
def test_no_handover_at_other_times(team: Services, fake_slack: FakeSlack, when: datetime) -> None:
    assert run_job(team, handover.JOB, now=when).sent == 0
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_missed_friday_handover_heals_on_monday(team: Services, fake_slack: FakeSlack) -> None:
    assert run_job(team, handover.JOB, now=datetime(2026, 12, 7, 15, 0, tzinfo=UTC)).sent == 2
    assert "is ending" in dms(fake_slack, "UA")[0]


def test_the_friday_before_christmas_hands_over_christmas_week(
    team: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(datetime(2026, 12, 18, 10, 0, tzinfo=UTC))
    slack.command("/rota", "show 8", user="UA", channel="CSUP")
    fake_slack.clear()
    assert run_job(team, handover.JOB, now=datetime(2026, 12, 18, 15, 0, tzinfo=UTC)).sent == 2
    # Weeks rotate alice, bob, carol: carol has 14 Dec, alice 21 Dec.
    assert "You're on support from *Mon 21 Dec to Fri 25 Dec*" in dms(fake_slack, "UA")[0]
    assert "Your support week *Mon 14 Dec – Fri 18 Dec*" in dms(fake_slack, "UC")[0]


def test_an_away_outgoing_person_gets_no_handover(
    team: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    slack.command("/rota", "away 4 Dec", user="UA", channel="CSUP")
    fake_slack.clear()
    run_job(team, handover.JOB, now=FRIDAY_1500)
    assert dms(fake_slack, "UA") == []
    assert len(dms(fake_slack, "UB")) == 1


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


def test_jobs_run_at_previews_a_handover_from_the_command_line(
    team: Services,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = team.settings
    for name, value in [
        ("DATABASE_URL", settings.database_url),
        ("SLACK_API_URL", settings.slack_api_url),
        ("ZENDESK_URL", settings.zendesk_url or ""),
        ("ZENDESK_EMAIL", settings.zendesk_email or ""),
        ("ZENDESK_API_TOKEN", settings.zendesk_api_token or ""),
    ]:
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["jobs", "run", "handover", "--at", "2026-12-04T15:00", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "→ UA [handover:" in out and "→ UB [handover:" in out
    assert "[Open Zendesk]" in out
    assert "handover: dry run: 2 message(s) would be sent" in out
    assert fake_slack.calls_to("chat.postMessage") == []


def test_handover_lists_open_promises_and_the_incoming_person_takes_one(
    team: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    slack.command("/ticket", "promise 1 mon 11am send the report", user="UA", channel="CSUP")
    fake_slack.clear()
    run_job(team, handover.JOB, now=FRIDAY_1500)
    outgoing = FakeSlack.texts(fake_slack.messages_to("UA")[0])
    assert "*Your open promises* (keep them, or hand them on)" in outgoing
    assert "#1: update due *Mon 7 Dec, 11:00 GMT* — send the report" in outgoing
    [incoming] = fake_slack.messages_to("UB")
    take = FakeSlack.find_button(incoming, "I'll take it")
    slack.click(take, user="UB")
    assert "<@UB> now holds the promised update on #1" in fake_slack.responses[-1].body["text"]
    fake_slack.clear()
    run_job(team, weekly_summary.JOB, now=datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    summary = FakeSlack.texts(fake_slack.messages_to("CSUP")[0])
    assert "*Open promises to clients*, soonest first:" in summary
    assert "#1: update due *Mon 7 Dec, 11:00 GMT* — send the report (<@UB>)" in summary
