"""What a scheduled job is: a name, a default schedule, and a run that reports what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.services import Services


@dataclass
class JobContext:
    services: Services
    now: datetime
    dry_run: bool = False
    # Where a dry run prints the messages it would have sent.
    echo: Callable[[str], None] = print


@dataclass
class JobReport:
    summary: str
    sent: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    name: str
    # Crontab in the team's timezone; settings may override it per job.
    default_schedule: str
    description: str
    run: Callable[[JobContext], JobReport]
