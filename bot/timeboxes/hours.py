"""The working hours a time-box holds.

Only working time counts (bot.worktime).
"""

from __future__ import annotations

from datetime import datetime

from bot.store.timeboxes import TimeboxSpan
from bot.worktime import WorkCalendar


def worked_hours(spans: list[TimeboxSpan], calendar: WorkCalendar, now: datetime) -> float:
    return sum(
        calendar.working_hours_between(span.started_at, span.ended_at or now) for span in spans
    )
