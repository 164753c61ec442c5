"""What one page of a bulk read holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class ExportPage:
    tickets: list[Json]
    users: list[Json]
    organizations: list[Json]
    metric_sets: list[Json]
    after_cursor: str | None
    end_of_stream: bool


@dataclass(frozen=True)
class EventsPage:
    """A page of the ticket events export: audits, each with its comment among `child_events`."""

    events: list[Json]
    end_time: int | None
    end_of_stream: bool


@dataclass(frozen=True)
class SearchPage:
    tickets: list[Json]
    after_cursor: str | None
    has_more: bool
