"""The handover DMs, end to end: /rota over signed HTTP, tickets synced from the fake
Zendesk, the job run at chosen instants, messages asserted on the fake Slack."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.cli import main
from bot.jobs import handover, weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.rota import RotaWeek
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.jobs.digest_helpers import away

FRIDAY_1500 = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


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


def test_an_away_outgoing_person_gets_theirs_on_their_first_morning_back(
    team: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    slack.command("/rota", "away 4 Dec", user="UA", channel="CSUP")
    fake_slack.clear()
    run_job(team, handover.JOB, now=FRIDAY_1500)
    assert dms(fake_slack, "UA") == []
    assert len(dms(fake_slack, "UB")) == 1
    run_job(team, handover.JOB, now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    [outgoing] = dms(fake_slack, "UA")
    assert "Your support week *Mon 30 Nov – Fri 4 Dec* in <#CSUP> is ending." in outgoing
    assert len(dms(fake_slack, "UB")) == 1
    run_job(team, handover.JOB, now=datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    run_job(team, handover.JOB, now=datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_an_away_incoming_person_is_told_when_back_or_the_person_on_support_is(
    team: Services, fake_slack: FakeSlack
) -> None:
    # bob takes over on Mon 7 Dec but is away Thu 3 – Tue 8 Dec (recorded too late to re-plan).
    away(team, "UB", date(2026, 12, 3), date(2026, 12, 8))
    for when in (FRIDAY_1500, datetime(2026, 12, 7, 9, 0, tzinfo=UTC)):
        run_job(team, handover.JOB, now=when)
        assert dms(fake_slack, "UB") == [], when
    # Wed 9 Dec, his first morning back: his week has started; he is the one on support.
    run_job(team, handover.JOB, now=datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    [incoming] = dms(fake_slack, "UB")
    assert "You're on support from *Mon 7 Dec to Fri 11 Dec*" in incoming
    run_job(team, handover.JOB, now=datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    assert len(dms(fake_slack, "UB")) == 1


def test_the_incoming_handover_goes_to_whoever_covers_the_week_that_started(
    team: Services, fake_slack: FakeSlack
) -> None:
    away(team, "UB", date(2026, 12, 4), date(2026, 12, 8))
    run_job(team, handover.JOB, now=FRIDAY_1500)
    assert dms(fake_slack, "UB") == [] and len(dms(fake_slack, "UA")) == 1
    with team.session() as session:
        [week] = session.exec(select(RotaWeek).where(RotaWeek.week_start == date(2026, 12, 7)))
        week.user_id = "UC"  # carol covers bob's week, arranged over the weekend
        session.add(week)
        session.commit()
    run_job(team, handover.JOB, now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    [covering] = dms(fake_slack, "UC")
    assert "You're on support from *Mon 7 Dec to Fri 11 Dec*" in covering
    for day in (8, 9, 10):
        run_job(team, handover.JOB, now=datetime(2026, 12, day, 9, 0, tzinfo=UTC))
    assert dms(fake_slack, "UB") == [] and len(dms(fake_slack, "UC")) == 1


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
