"""Figures per client: how much each client's tickets asked of us over a stretch of time.

The table is built from a list of columns, so a feature that counts something per client
adds its column with one line (`CLIENT_COLUMNS.append(ClientColumn(...))`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import chargeable
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
from bot.store.reports import client_name
from bot.store.tickets import tickets_by_ids
from bot.store.timeboxes import spans_between
from bot.store.zendesk_people import organization_names
from bot.worktime import WorkCalendar

# (session, start, end) → client → a number. A client is an organization id (None: no client)
# or, for counts made elsewhere by name, the client's name.
Count = Callable[[Session, datetime, datetime], PerClient | dict[str, float]]
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


def _chargeable(session: Session, start: datetime, end: datetime) -> dict[str, float]:
    found = chargeable.chargeable_by_client(session, start=start, end=end)
    return {_by_name(name): count for name, count in found.items()}


def _timeboxed(calendar: WorkCalendar) -> Count:
    def count(session: Session, start: datetime, end: datetime) -> dict[str, float]:
        found = hours_by_client(session, start=start, end=end, calendar=calendar)
        return {_by_name(name): spent for name, spent in found.items()}

    return count


def _by_name(name: str) -> str:
    return NO_CLIENT if name == chargeable.NO_CLIENT else name


def client_columns(settings: Settings, calendar: WorkCalendar) -> list[ClientColumn]:
    """Every column: CLIENT_COLUMNS, chargeable tickets (part 1), hours in time-boxes (working
    hours, by `calendar`), and the account's time tracking when set up."""
    tracked = [TIME_SPENT_COLUMN] if settings.time_spent_field is not None else []
    return [
        *CLIENT_COLUMNS,
        ClientColumn("Chargeable", _chargeable),
        ClientColumn("Time-box hours", _timeboxed(calendar), hours=True),
        *tracked,
    ]


def client_figures(
    session: Session, *, start: datetime, end: datetime, columns: list[ClientColumn]
) -> ClientFigures:
    """Every client with something to count in [start, end), busiest first."""
    names = organization_names(session=session)

    def name_of(client: int | str | None) -> str:
        if client is None:
            return NO_CLIENT
        if isinstance(client, str):
            return client
        return names.get(client, f"organization {client}")

    counted: list[dict[str, float]] = []
    for column in columns:
        by_name: dict[str, float] = {}
        for client, value in column.count(session, start, end).items():
            name = name_of(client)
            by_name[name] = by_name.get(name, 0.0) + value
        counted.append(by_name)
    clients = {name for found in counted for name, value in found.items() if value}
    rows = [(name, [found.get(name, 0.0) for found in counted]) for name in clients]
    rows.sort(key=lambda row: (-row[1][0] if row[1] else 0, row[0].lower()))
    return ClientFigures(
        titles=[column.title for column in columns],
        hours=[column.hours for column in columns],
        rows=rows,
    )


def hours_by_client(
    session: Session, *, start: datetime, end: datetime, calendar: WorkCalendar
) -> dict[str, float]:
    """Working hours spent in time-boxes in [start, end), per client."""
    spans = spans_between(session=session, start=start, end=end)
    tickets = tickets_by_ids(session=session, ticket_ids=sorted({t for _, t in spans}))
    hours: dict[str, float] = defaultdict(float)
    for span, ticket_id in spans:
        ticket = tickets.get(ticket_id)
        client = (client_name(session, ticket) if ticket else None) or chargeable.NO_CLIENT
        hours[client] += calendar.working_hours_between(
            max(span.started_at, start), min(span.ended_at or end, end)
        )
    return {client: spent for client, spent in sorted(hours.items()) if spent > 0}
