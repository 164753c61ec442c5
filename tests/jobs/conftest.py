from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs import sync
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

# Wednesday 2 December 2026, 10:00 in London: working time.
WORKING_NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def greetings(count: int = 3) -> list[Outgoing]:
    return [
        Outgoing(key=f"greet:U{i}", recipient=f"U{i}", text=f"Hello U{i}") for i in range(count)
    ]


def run_greetings(ctx: JobContext) -> JobReport:
    return deliver(ctx, "greetings", greetings())


@pytest.fixture
def greetings_job() -> Job:
    return Job(
        name="greetings",
        default_schedule="*/5 * * * *",
        description="says hello to three people",
        run=run_greetings,
    )


# Monday 30 November 2026, 10:00 GMT: the handover and summary tests' rota starts this week.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


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
    fake_zendesk.add_user(
        900, name="Client", email="client@council.test", role="end-user", organization_id=7
    )
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
