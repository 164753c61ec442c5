"""The priority-review list: open tickets whose priority needs a review, as digest lines."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.blocks.digest import ReviewLine
from bot.blocks.kit import ticket_url
from bot.nudges.rules import review_reason
from bot.store.shortlists import Assignee, Shortlist, needing_review, shortlists
from bot.store.tickets import Ticket
from bot.store.zendesk_people import organization_names
from bot.tickets.flags import ticket_flags

log = logging.getLogger(__name__)


def review_shortlists(
    session: Session,
    now: datetime,
    *,
    review_after_days: int,
    limit: int,
    by_assignee: bool = False,
    assignees: Collection[Assignee] | None = None,
) -> dict[Assignee, Shortlist]:
    """Open tickets whose priority needs a review, first `limit` in triage order, and counts."""
    selection = needing_review(now=now, review_after_days=review_after_days)
    return shortlists(session, selection, limit=limit, by_assignee=by_assignee, assignees=assignees)


def review_lines(
    session: Session,
    rows: Iterable[tuple[Ticket, Any]],
    now: datetime,
    *,
    review_after_days: int,
    zendesk_url: str | None,
    authorised_tag: str | None = None,
) -> list[ReviewLine]:
    """Tickets (each with when it was last reviewed) as digest lines, with the reason."""
    clients = organization_names(session=session)
    rows = list(rows)
    flags = ticket_flags(session, [t for t, _ in rows], authorised_tag=authorised_tag)
    lines = []
    for ticket, reviewed_at in rows:
        reason = review_reason(ticket, reviewed_at, now=now, review_after_days=review_after_days)
        if reason is None:  # the SQL and the rule disagree: show nothing rather than nonsense
            log.error("ticket %s was selected for a review it does not need", ticket.id)
            continue
        lines.append(
            ReviewLine(
                ticket=ticket,
                reason=reason,
                client=clients.get(ticket.organization_id or 0),
                url=ticket_url(zendesk_url, ticket.id),
                last_reviewed=reviewed_at,
                flags=flags[ticket.id],
            )
        )
    return lines
