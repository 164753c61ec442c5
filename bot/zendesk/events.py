"""The comments in a page of the ticket events export, as the mirror and promise detection
read them."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def comments_by_ticket(events: list[Json]) -> dict[int, list[Json]]:
    """Each comment of the events (`include=comment_events`), once, by ticket, oldest first.

    A comment child event carries `id`, `author_id`, `body`, `public`; its time is its audit's.
    A page repeats the events of the last second of the page before, hence once.
    """
    found: dict[int, dict[int, Json]] = {}
    for event in events:
        ticket_id = event.get("ticket_id")
        children = event.get("child_events")
        if not isinstance(ticket_id, int) or not isinstance(children, list):
            continue
        for child in children:
            if not isinstance(child, dict) or child.get("event_type") != "Comment":
                continue
            comment_id = child.get("id")
            if not isinstance(comment_id, int):
                continue
            comment = dict(child)
            comment.setdefault("created_at", event.get("created_at"))
            found.setdefault(ticket_id, {})[comment_id] = comment
    return {
        ticket_id: sorted(comments.values(), key=lambda c: (str(c.get("created_at")), c["id"]))
        for ticket_id, comments in found.items()
    }
