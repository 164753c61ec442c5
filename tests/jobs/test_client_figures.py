"""Figures per client, end to end: Zendesk changes → sync → the weekly summary's table and
`/rota stats clients` (signed slash command)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.jobs import commitments, sync, weekly_summary
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store.escalations import add_escalation
from bot.store.promises import add_promise
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.rota_helpers import rota

TIME_FIELD = 360001
ALICE, CLIENT, GLOBEX_CLIENT = 101, 900, 901
MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def week(
    team: Services, fake_zendesk: FakeZendesk, clock: MutableClock, fake_slack: FakeSlack
) -> Services:
    """The week of 30 Nov on Acme Council's tickets (1-4) and Globex's (10), then a sync."""
    team.settings = replace(team.settings, time_spent_field=TIME_FIELD)
    fake_zendesk.add_ticket_field(TIME_FIELD)
    fake_zendesk.add_ticket_field(360002)  # another field of the account: not time
    fake_zendesk.add_organization(8, name="Globex")
    fake_zendesk.add_user(
        GLOBEX_CLIENT, name="Gil", email="gil@globex.test", role="end-user", organization_id=8
    )
    fake_zendesk.add_ticket(
        10,
        subject="Globex asks",
        requester_id=GLOBEX_CLIENT,
        organization_id=8,
        created_at=at(2, 9),
        updated_at=at(4, 15),
        custom_fields={360002: 99, TIME_FIELD: 1800},
    )
    # Two public replies on ticket 1 (and an internal note, and the client's answer).
    for author, public, hour in ((ALICE, True, 15), (ALICE, False, 15), (CLIENT, True, 15)):
        fake_zendesk.add_comment(
            1, author_id=author, body="…", public=public, created_at=at(4, hour)
        )
    fake_zendesk.add_comment(4, author_id=ALICE, body="Done", created_at=at(4, 15))
    fake_zendesk.update_ticket(4, updated_at=at(4, 15))  # a comment changes the ticket
    # Ticket 2 solved. Ticket 1, mirrored before time was read, shows 1.5 hours (logged before:
    # not counted), then 2.5 (one hour this week); new ticket 10 came with half an hour.
    fake_zendesk.update_ticket(2, status="solved", updated_at=at(4, 15))
    fake_zendesk.update_ticket(1, custom_fields={TIME_FIELD: "5400"}, updated_at=at(4, 15))
    with team.session() as session:
        # Kept by our reply on ticket 1; missed on ticket 3 (due Thursday, no reply at all).
        for ticket_id, due in ((1, at(4, 17)), (3, at(3, 17))):
            add_promise(
                session=session,
                ticket_id=ticket_id,
                owner="UA",
                due_at=due,
                made_at=at(2, 9),
                note="",
                source="command",
                created_by="UA",
                created_at=at(2, 9),
            )
        add_escalation(
            session=session,
            ticket_id=10,
            raised_by="UA",
            reason="unhappy",
            note="",
            lead="UL",
            now=at(3, 11),
        )
    clock.set(at(4, 16))
    assert run_job(team, sync.JOB, now=clock()).problems == []
    run_job(team, commitments.JOB, now=clock())  # our reply keeps the promise on ticket 1
    fake_zendesk.update_ticket(1, custom_fields={TIME_FIELD: 9000}, updated_at=at(4, 16))
    clock.set(at(4, 17))
    assert run_job(team, sync.JOB, now=clock()).problems == []
    # Read again (a ticket changed): nothing counts twice.
    fake_zendesk.update_ticket(1, subject="Site is down!", updated_at=at(4, 17))
    clock.set(at(4, 18))
    assert run_job(team, sync.JOB, now=clock()).problems == []
    fake_slack.clear()
    return team


TABLE = [
    "Client                 Opened Solved Replies  Kept Missed Escalated"
    " Chargeable Time-box hours Logged",
    "Acme Council                1      1       2     1      1         0"
    "          0           0.0h   1.0h",
    "Globex                      1      0       0     0      0         1"
    "          0           0.0h   0.5h",
    "All clients                 2      1       2     1      1         1"
    "          0           0.0h   1.5h",
]


def test_the_weekly_summary_has_last_week_per_client(week: Services, fake_slack: FakeSlack) -> None:
    assert run_job(week, weekly_summary.JOB, now=MONDAY).sent == 1
    text = FakeSlack.texts(fake_slack.messages_to("CSUP")[0])
    assert "*Per client, last week* (Mon 30 Nov – Fri 4 Dec): tickets opened and solved" in text
    assert "```" + "\n".join(TABLE) + "```" in text


def test_rota_stats_clients_shows_the_last_four_weeks(
    week: Services, slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    clock.set(MONDAY)
    text = rota(slack, fake_slack, "stats clients", user="UA", channel="CSUP")
    assert text.startswith("*Per client since Mon 9 Nov* (last 4 weeks)")
    # Tickets 1-3 were opened on 25 Nov: inside the four weeks, not inside last week.
    assert TABLE[1].replace("  1      1       2", "  4      1       2") in text
    clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    later = rota(slack, fake_slack, "stats clients", user="UA", channel="CSUP")
    assert "nothing happened on any client's tickets" in later


def test_without_a_time_field_there_is_no_logged_column(
    week: Services, fake_slack: FakeSlack
) -> None:
    week.settings = replace(week.settings, time_spent_field=None)
    run_job(week, weekly_summary.JOB, now=MONDAY)
    text = FakeSlack.texts(fake_slack.messages_to("CSUP")[0])
    assert TABLE[0].removesuffix(" Logged") + "\n" in text
    assert "Logged" not in text


def test_figures_per_client_are_for_people_who_may_see_tickets(
    week: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("UGUEST", name="gus", kind="guest")
    text = rota(slack, fake_slack, "stats clients", user="UGUEST", channel="CSUP")
    assert "Acme Council" not in text and "full members" in text


def test_stats_takes_only_clients(week: Services, slack: SlackDoor, fake_slack: FakeSlack) -> None:
    text = rota(slack, fake_slack, "stats client", user="UA", channel="CSUP")
    assert text.startswith("`stats` takes nothing, or `clients` for the figures per client.")
    assert "*Usage:*" in text
