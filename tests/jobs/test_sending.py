"""The sending jobs' shared steps; their runs are tested end to end with each job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.jobs.sending import UNROUTED_LISTED, unrouted_note
from bot.store.shortlists import Shortlist
from bot.store.tickets import Ticket

OPENED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _unrouted(count: int, *, total: int) -> Shortlist:
    rows: list[tuple[Ticket, Any]] = [
        (Ticket(id=ticket_id, status="open", created_at=OPENED, updated_at=OPENED), None)
        for ticket_id in range(1, count + 1)
    ]
    return Shortlist(rows=rows, total=total)


def test_nothing_unrouted_says_nothing() -> None:
    assert unrouted_note(Shortlist()) == ""


def test_the_first_tickets_are_named_and_the_rest_counted() -> None:
    assert unrouted_note(_unrouted(2, total=2)) == (
        "; nobody to nudge about #1, #2 (no assignee in Slack, nobody on support today)"
    )
    note = unrouted_note(_unrouted(UNROUTED_LISTED + 2, total=1500))
    assert f"#{UNROUTED_LISTED} and 1,490 more (" in note
    assert f"#{UNROUTED_LISTED + 1}" not in note
