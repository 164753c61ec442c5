from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Outgoing, deliver

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
