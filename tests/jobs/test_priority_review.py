"""`priority-review` end to end: Zendesk → sync → the job → DMs in the fake Slack."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.jobs import priority_review
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import (
    ALICE,
    BOB,
    CLIENT,
    U_ALICE,
    U_SAM,
    away,
    digest_lines,
    mirror,
    reviewed,
    team,
)

# Monday 30 November 2026, 09:30 GMT: the job's default time.
MON_0930 = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
OPENED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def tickets(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    fake_slack: FakeSlack,
    clock: MutableClock,
) -> Services:
    clock.set(MON_0930 - timedelta(minutes=10))
    team(zendesk_services, fake_slack, fake_zendesk)
    add = fake_zendesk.add_ticket
    add(
        101,
        subject="Site down",
        requester_id=CLIENT,
        assignee_id=ALICE,
        priority="urgent",
        organization_id=50,
        created_at=OPENED + timedelta(days=2),
    )
    add(
        102,
        subject="Typo on page",
        requester_id=CLIENT,
        assignee_id=ALICE,
        priority="low",
        created_at=OPENED,
    )
    add(
        103,
        subject="Slow search",
        requester_id=CLIENT,
        assignee_id=BOB,
        priority="high",
        created_at=OPENED,
    )
    add(104, subject="Question", requester_id=CLIENT, priority=None, created_at=OPENED)
    add(
        105,
        subject="Done",
        requester_id=CLIENT,
        assignee_id=ALICE,
        status="solved",
        priority=None,
        created_at=OPENED,
    )
    add(106, subject="Reviewed", requester_id=CLIENT, assignee_id=ALICE, created_at=OPENED)
    add(
        107,
        subject="Older urgent",
        requester_id=CLIENT,
        assignee_id=ALICE,
        priority="urgent",
        created_at=OPENED,
    )
    mirror(zendesk_services)
    reviewed(zendesk_services, 106, MON_0930 - timedelta(days=6))
    return zendesk_services


def run(services: Services, now: datetime = MON_0930, **kwargs: object) -> str:
    return run_job(services, priority_review.JOB, now=now, **kwargs).summary  # type: ignore[arg-type]


def test_one_digest_per_person_in_triage_order(tickets: Services, fake_slack: FakeSlack) -> None:
    fake_slack.clear()
    assert run(tickets) == "sent 2 of 2 due message(s)"
    (alice,) = fake_slack.messages_to(U_ALICE)
    assert digest_lines(alice) == [
        "#107 Older urgent",
        "#101 Site down",
        "#102 Typo on page",
    ]
    assert alice.args["text"] == (
        "Morning briefing: 3 tickets need a priority review · 4 clients waiting on us"
    )
    text = FakeSlack.texts(alice)
    assert "Acme Ltd · Urgent · never reviewed" in text
    for label in ("Priority is right", "Escalate"):
        FakeSlack.find_button(alice, label)
    # Bob has no Slack account and 104 nobody: both go to Sam, on support this week.
    (sam,) = fake_slack.messages_to(U_SAM)
    assert digest_lines(sam) == ["#103 Slow search", "#104 Question"]
    assert "no priority · no priority set" in FakeSlack.texts(sam)


def test_the_same_day_sends_nothing_twice_and_the_next_day_sends_again(
    tickets: Services, fake_slack: FakeSlack
) -> None:
    run(tickets)
    fake_slack.clear()
    assert run(tickets, MON_0930 + timedelta(hours=5)) == "sent 0 of 0 due message(s)"
    assert fake_slack.calls_to("chat.postMessage") == []
    # Still unreviewed on Tuesday; 106 was reviewed 7 days ago by then, so it is back too.
    assert run(tickets, MON_0930 + timedelta(days=1)) == "sent 2 of 2 due message(s)"
    (alice,) = fake_slack.messages_to(U_ALICE)
    assert "#106 Reviewed" in digest_lines(alice)
    assert "last reviewed Tue 24 Nov" in FakeSlack.texts(alice)


def test_someone_away_gets_nothing_and_their_lines_go_to_support(
    tickets: Services, fake_slack: FakeSlack
) -> None:
    away(tickets, U_ALICE, date(2026, 11, 30), date(2026, 12, 1))
    fake_slack.clear()
    assert run(tickets) == "sent 1 of 1 due message(s)"
    assert fake_slack.messages_to(U_ALICE) == []
    (sam,) = fake_slack.messages_to(U_SAM)
    assert digest_lines(sam) == [
        "#107 Older urgent",
        "#101 Site down",
        "#103 Slow search",
        "#102 Typo on page",
        "#104 Question",
    ]


def test_with_support_away_too_the_lines_wait(tickets: Services, fake_slack: FakeSlack) -> None:
    away(tickets, U_SAM, date(2026, 11, 30), date(2026, 11, 30))
    fake_slack.clear()
    summary = run(tickets)
    assert summary == (
        "sent 1 of 1 due message(s); nobody to nudge about #103, #104 "
        "(no assignee in Slack, nobody on support today)"
    )
    assert fake_slack.messages_to(U_SAM) == []


def test_nothing_outside_working_time_and_dry_run_prints(
    tickets: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.clear()
    saturday = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    assert run(tickets, saturday).startswith("outside working time: 2 message(s) wait until Mon 7")
    printed: list[str] = []
    assert run(tickets, dry_run=True, echo=printed.append) == (
        "dry run: 2 message(s) would be sent"
    )
    assert fake_slack.calls_to("chat.postMessage") == []
    assert "→ UALICE [priority-review:UALICE:2026-11-30]" in printed[0]
    assert "[Priority is right]" in printed[0]


def test_a_long_digest_stays_within_slack_limits(
    tickets: Services, fake_zendesk: FakeZendesk, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.advance(minutes=5)
    for n in range(40):
        fake_zendesk.add_ticket(
            300 + n,
            subject=f"Bulk {n}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            priority="normal",
            created_at=OPENED + timedelta(minutes=n),
            updated_at=clock() - timedelta(minutes=2),
        )
    mirror(tickets)
    fake_slack.clear()
    run(tickets)
    (alice,) = fake_slack.messages_to(U_ALICE)
    blocks = alice.args["blocks"]
    assert len(blocks) <= 50
    # The briefing shares Slack's 50 blocks between its two lists, half each.
    assert len(digest_lines(alice)) == 11 and len(digest_lines(alice, "waiting")) == 11
    assert alice.args["text"] == (
        "Morning briefing: 43 tickets need a priority review · 44 clients waiting on us"
    )
    texts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert "and 32 more — see App Home" in texts and "and 33 more — see App Home" in texts


def test_a_priority_change_in_zendesk_counts_as_a_review(
    tickets: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    changed = MON_0930 - timedelta(minutes=5)
    fake_zendesk.update_ticket(102, priority="normal", updated_at=changed)
    clock.set(MON_0930)
    mirror(tickets)
    fake_slack.clear()
    run(tickets)
    (alice,) = fake_slack.messages_to(U_ALICE)
    assert "#102 Typo on page" not in digest_lines(alice)


def test_app_home_shows_my_tickets_to_review(
    tickets: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    from bot.agents import refresh_agent_matches

    refresh_agent_matches(tickets)
    slack.event({"type": "app_home_opened", "user": U_ALICE, "tab": "home", "event_ts": "1.0"})
    home = FakeSlack.texts(fake_slack.last("views.publish").args["view"])
    assert "*Priorities to review* (3)" in home
    assert home.index("#107") < home.index("#101") < home.index("#102")
    assert "#103" not in home
