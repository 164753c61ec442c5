"""Figures per client: how much each client's tickets asked of us over a stretch of time.

The table is built from a list of columns, so a feature that counts something per client
adds its column with one line (`CLIENT_COLUMNS.append(ClientColumn(...))`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot.blocks.models import ClientFigures
from bot.settings import Settings
from bot.store.client_activity import (
    REPLY,
    SOLVED,
    TIME,
    PerClient,
    activity_per_client,
    escalations_per_client,
    opened_per_client,
    promises_kept_per_client,
    promises_missed_per_client,
)
from bot.store.zendesk_people import organization_names

# (session, start, end) → organization id (None: no client) → a number.
Count = Callable[[Session, datetime, datetime], PerClient]
NO_CLIENT = "(no client)"


class ClientColumn:
    """One column of the table: its heading and how to count it per client."""

    def __init__(self, title: str, count: Count, *, hours: bool = False) -> None:
        self.title, self.count, self.hours = title, count, hours


def _activity(kind: str) -> Count:
    return lambda session, start, end: activity_per_client(
        session=session, kind=kind, start=start, end=end
    )


def _seconds_as_hours(kind: str) -> Count:
    def count(session: Session, start: datetime, end: datetime) -> PerClient:
        found = activity_per_client(session=session, kind=kind, start=start, end=end)
        return {org: seconds / 3600 for org, seconds in found.items()}

    return count


CLIENT_COLUMNS: list[ClientColumn] = [
    ClientColumn("Opened", lambda s, a, b: opened_per_client(session=s, start=a, end=b)),
    ClientColumn("Solved", _activity(SOLVED)),
    ClientColumn("Replies", _activity(REPLY)),
    ClientColumn("Kept", lambda s, a, b: promises_kept_per_client(session=s, start=a, end=b)),
    ClientColumn("Missed", lambda s, a, b: promises_missed_per_client(session=s, start=a, end=b)),
    ClientColumn("Escalated", lambda s, a, b: escalations_per_client(session=s, start=a, end=b)),
]
# The account's own time tracking, when ROTABOT_TIME_SPENT_FIELD names its field.
TIME_SPENT_COLUMN = ClientColumn("Logged", _seconds_as_hours(TIME), hours=True)


def client_columns(settings: Settings) -> list[ClientColumn]:
    tracked = [TIME_SPENT_COLUMN] if settings.time_spent_field is not None else []
    return [*CLIENT_COLUMNS, *tracked]


def client_figures(
    session: Session, *, start: datetime, end: datetime, columns: list[ClientColumn]
) -> ClientFigures:
    """Every client with something to count in [start, end), busiest first."""
    counted = [column.count(session, start, end) for column in columns]
    names = organization_names(session=session)
    clients = {org for found in counted for org, value in found.items() if value}
    rows = [
        (
            NO_CLIENT if org is None else names.get(org, f"organization {org}"),
            [found.get(org, 0.0) for found in counted],
        )
        for org in clients
    ]
    rows.sort(key=lambda row: (-row[1][0] if row[1] else 0, row[0].lower()))
    return ClientFigures(
        titles=[column.title for column in columns],
        hours=[column.hours for column in columns],
        rows=rows,
    )
