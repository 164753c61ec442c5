"""Joining each assignee's list into its recipient's, and the lines each person gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.blocks.digest import Total
from bot.nudges.routing import Recipients, by_person, lines_by_person
from bot.store.shortlists import Shortlist
from bot.store.tickets import Ticket

OPENED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _ticket(ticket_id: int) -> Ticket:
    return Ticket(id=ticket_id, status="open", created_at=OPENED, updated_at=OPENED)


def _list(*ticket_ids: int, total: int | None = None) -> Shortlist:
    rows: list[tuple[Ticket, Any]] = [(_ticket(t), t) for t in ticket_ids]
    return Shortlist(rows=rows, total=len(rows) if total is None else total)


# Alice holds assignees 7 and 8; assignee 9 is nudged to nobody.
PEOPLE = Recipients(rota=None, person_of={7: "UALICE", 8: "UALICE", 9: None, None: "USAM"})
FOUND = {7: _list(5, 1, total=12), 8: _list(3), 9: _list(4), None: _list(2)}


def _ids(shortlist: Shortlist) -> list[int]:
    return [ticket.id for ticket, _ in shortlist.rows]


def test_lists_join_per_person_in_order_up_to_the_limit() -> None:
    routed, unrouted = by_person(PEOPLE, FOUND, limit=2, order=lambda row: row[1])
    assert {person: _ids(shortlist) for person, shortlist in routed.items()} == {
        "UALICE": [1, 3],
        "USAM": [2],
    }
    assert routed["UALICE"].total == 13
    assert _ids(unrouted) == [4]


@dataclass(frozen=True)
class Line:
    ticket: Ticket


def test_each_persons_lines_are_built_in_one_call() -> None:
    calls: list[list[int]] = []

    def lines_of(rows: list[tuple[Ticket, Any]]) -> list[Line]:
        calls.append([ticket.id for ticket, _ in rows])
        # A line the rule drops (ticket 3) is left out of its person's list.
        return [Line(ticket) for ticket, _ in rows if ticket.id != 3]

    per_person, unrouted = lines_by_person(
        PEOPLE, FOUND, limit=5, order=lambda row: row[1], lines_of=lines_of
    )
    assert len(calls) == 1
    summary = [(p, [line.ticket.id for line in lines], total) for p, lines, total in per_person]
    assert summary == [("UALICE", [1, 5], Total(13)), ("USAM", [2], Total(1))]
    assert _ids(unrouted) == [4]
