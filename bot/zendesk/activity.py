"""What the per-client figures count in what the sync reads: tickets solved, time logged in
the time-tracking field, and our public replies (each once, however often it is read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.store.bulk_writes import Row
from bot.store.client_activity import REPLY, SOLVED, TIME, known_replies
from bot.store.zendesk_people import AGENT_ROLES
from bot.zendesk.values import as_int, parse_zendesk_time

Json = dict[str, Any]
CLOSED_STATUSES = ("solved", "closed")


def time_spent(data: Json, field_id: int) -> int | None:
    """The time-tracking field's value in seconds: 0 when the ticket has none yet; None when
    the ticket has no such field, or its value is not a number of seconds."""
    fields = data.get("custom_fields")
    for entry in fields if isinstance(fields, list) else []:
        if isinstance(entry, dict) and as_int(entry.get("id")) == field_id:
            value = entry.get("value")
            if value is None or value == "":
                return 0
            if isinstance(value, float) and value >= 0:
                return int(value)
            number = as_int(value)
            return number if number is not None and number >= 0 else None
    return None


def activity_row(
    row: Row, kind: str, at: datetime, amount: int = 1, source: int | None = None
) -> Row:
    return {
        "kind": kind,
        "ticket_id": row["id"],
        "organization_id": row["organization_id"],
        "at": at,
        "amount": amount,
        "source_id": source,
    }


def changes_for_figures(before: Row | None, row: Row) -> list[Row]:
    """What the per-client figures count in this change: the ticket solved, time logged."""
    found = []
    was_closed = before is not None and before["status"] in CLOSED_STATUSES
    if row["status"] in CLOSED_STATUSES and not was_closed:
        found.append(activity_row(row, SOLVED, row["updated_at"]))
    # A ticket mirrored before its time was read gives no baseline: its total is not this week's.
    counted_before = before is None or before.get("time_spent") is not None
    logged = (row.get("time_spent") or 0) - ((before or {}).get("time_spent") or 0)
    if logged > 0 and counted_before:
        found.append(activity_row(row, TIME, row["updated_at"], amount=logged))
    return found


def our_replies(
    session: Session,
    comments: dict[int, list[Json]],
    rows: dict[int, Row],
    roles: dict[int, str],
) -> list[Row]:
    """Our public replies among the comments read, each counted once however often read."""
    replies = [
        (ticket_id, comment_id, created)
        for ticket_id, ticket_comments in comments.items()
        if ticket_id in rows
        for c in ticket_comments
        if c.get("public", False)
        and roles.get(as_int(c.get("author_id")) or 0) in AGENT_ROLES
        and (comment_id := as_int(c.get("id"))) is not None
        and (created := parse_zendesk_time(c.get("created_at"))) is not None
    ]
    known = known_replies(session=session, comment_ids={c for _, c, _ in replies})
    return [
        activity_row(rows[ticket_id], REPLY, created, source=comment_id)
        for ticket_id, comment_id, created in replies
        if comment_id not in known
    ]
