"""One of two worker processes racing to deliver the same nudges (run by test_race.py)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from bot.jobs.base import JobContext
from bot.jobs.delivery import Outgoing, deliver
from bot.services import build_services
from bot.settings import Settings


def main(database_url: str, slack_url: str, start_at: float, count: int) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=slack_url, database_url=database_url
    )
    services = build_services(settings)
    messages = [Outgoing(key=f"race:{i}", recipient=f"U{i}", text=f"n{i}") for i in range(count)]
    # Both processes start delivering at the same wall-clock instant, to race for real.
    time.sleep(max(0.0, start_at - time.time()))
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    report = deliver(JobContext(services=services, now=now), "race", messages)
    print(report.sent)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
