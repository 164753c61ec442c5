"""For the Block Kit tests: records on fixed instants, and every button a person could press."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.store import rota as store
from bot.store.escalations import Escalation
from bot.store.promises import FROM_COMMAND, Promise
from bot.store.rota import RotaWeek

# Wednesday 2 December 2026, 10:00 GMT.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def promise(**changes: object) -> Promise:
    """Promise 7 by UANN on ticket 101, due Thu 3 Dec 2026 at 17:00 GMT."""
    base = Promise(
        id=7,
        ticket_id=101,
        owner="UANN",
        due_at=datetime(2026, 12, 3, 17, 0, tzinfo=UTC),
        made_at=NOW,
        note="Send the <new> export & logs",
        source=FROM_COMMAND,
        created_at=NOW,
        created_by="UANN",
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def escalation(**changes: object) -> Escalation:
    """Escalation 3 of ticket 101, raised by U1 to ULEAD on Fri 4 Dec 2026 at 15:00 GMT."""
    base = Escalation(
        id=3,
        ticket_id=101,
        raised_by="U1",
        reason="unhappy",
        lead="ULEAD",
        raised_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def week(start: date, user: str, kind: str = store.PLANNED, partner: str | None = None) -> RotaWeek:
    return RotaWeek(
        rota_id=1,
        week_start=start,
        planned_user=user,
        planned_position=1,
        user_id=user,
        kind=kind,
        partner=partner,
    )


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(label, action_id, value) of each button, in actions blocks and section accessories."""
    elements: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions":
            elements += block["elements"]
        elif "accessory" in block:
            elements.append(block["accessory"])
    return [
        (e["text"]["text"], e["action_id"], e.get("value"))
        for e in elements
        if e.get("type") == "button"
    ]


def client_figure(text: str, client: str, title: str) -> str:
    """The cell of the per-client table (bot.blocks.figures) in `text` for a client and column:
    the table's cells are right-aligned under their column's title."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "Client " in line and f" {title}" in line)
    head = lines[at]
    end = head.index(f" {title}") + 1 + len(title) - head.index("Client ")
    row = next(line for line in lines[at + 1 :] if line.startswith(client))
    return row[:end].split()[-1]
