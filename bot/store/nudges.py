"""The two nudge rules of bot.rules as SQL, so only the tickets a message shows leave the database.

A desk with a hundred thousand open tickets may have tens of thousands needing a review; a
digest shows a couple of dozen and counts the rest. So the database picks, for each assignee
(or team-wide), the first `limit` tickets in the digest's order and counts them all, in one
query. The conditions here must say exactly what bot.rules says; a test holds them together.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, true
from sqlalchemy import select as sa_select
from sqlalchemy.sql import FromClause
from sqlmodel import Session, col, select

from bot.rules import ACTIVE_STATUSES, WaitingCutoffs, stale_review_before
from bot.store.digests import DigestLine
from bot.store.ledger import Nudge
from bot.store.reports import PRIORITY_RANK
from bot.store.tickets import OPEN_STATUSES, PriorityReview, Ticket

# Shortlists keyed by assignee: None is the unassigned tickets.
Assignee = int | None


@dataclass
class Shortlist:
    """The first tickets of a selection, in order, each with its value (see Selection.value);
    `total` counts every ticket selected, shown or not."""

    rows: list[tuple[Ticket, Any]] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class Selection:
    """Which open tickets a rule picks, in what order, and the value each line needs."""

    source: FromClause
    condition: ColumnElement[bool]
    order: tuple[Any, ...]
    value: ColumnElement[Any]


def needing_review(*, now: datetime, review_after_days: int) -> Selection:
    """bot.rules.review_reason in SQL; the value is when the priority was last reviewed."""
    latest = (
        select(
            col(PriorityReview.ticket_id).label("ticket_id"),
            func.max(col(PriorityReview.reviewed_at)).label("reviewed_at"),
        )
        .group_by(col(PriorityReview.ticket_id))
        .subquery("latest_review")
    )
    reviewed_at = latest.c.reviewed_at
    client_at = col(Ticket.last_requester_comment_at)
    condition = and_(
        col(Ticket.status).in_(OPEN_STATUSES),
        or_(
            col(Ticket.priority).is_(None),
            reviewed_at.is_(None),
            client_at > reviewed_at,
            reviewed_at <= stale_review_before(now, review_after_days),
        ),
    )
    source = Ticket.__table__.outerjoin(  # type: ignore[attr-defined]
        latest, latest.c.ticket_id == col(Ticket.id)
    )
    return Selection(
        source=source,
        condition=condition,
        order=(PRIORITY_RANK, col(Ticket.created_at), col(Ticket.id)),
        value=reviewed_at,
    )


def clients_waiting(
    cutoffs: WaitingCutoffs, *, not_nudged: tuple[str, date] | None = None
) -> Selection:
    """bot.rules.client_waiting in SQL, most waiting first; the value is since when.

    `not_nudged=(job, day)` leaves out tickets a sent digest of that job carried that day.
    """
    client_at = col(Ticket.last_requester_comment_at)
    reply_at = col(Ticket.last_agent_public_reply_at)
    client_wrote = and_(client_at.is_not(None), or_(reply_at.is_(None), client_at > reply_at))
    client_waits = and_(client_wrote, client_at <= cutoffs.client_wrote_by)
    unanswered_since = func.coalesce(reply_at, col(Ticket.created_at))
    unanswered = and_(
        or_(col(Ticket.status).in_(ACTIVE_STATUSES), client_wrote),
        unanswered_since <= cutoffs.replied_by,
    )
    condition = and_(col(Ticket.status).in_(OPEN_STATUSES), or_(client_waits, unanswered))
    if not_nudged is not None:
        job, day = not_nudged
        nudged = (
            select(col(DigestLine.ticket_id))
            .join(Nudge, col(Nudge.key) == col(DigestLine.message_key))
            .where(DigestLine.job == job, DigestLine.day == day, col(Nudge.sent_at).is_not(None))
        )
        condition = and_(condition, not_(col(Ticket.id).in_(nudged)))
    since = case((client_waits, client_at), else_=unanswered_since)
    return Selection(
        source=Ticket.__table__,  # type: ignore[attr-defined]
        condition=condition,
        order=(since, col(Ticket.id)),
        value=since,
    )


def shortlists(
    session: Session,
    selection: Selection,
    *,
    limit: int,
    by_assignee: bool = False,
    assignees: Collection[Assignee] | None = None,
) -> dict[Assignee, Shortlist]:
    """The first `limit` tickets selected and the count of all, per assignee or (keyed None)
    team-wide; `assignees` narrows the tickets to those assignees (None: unassigned)."""
    condition = selection.condition
    if assignees is not None:
        ids = [a for a in assignees if a is not None]
        condition = and_(
            condition,
            or_(
                col(Ticket.assignee_id).in_(ids),
                col(Ticket.assignee_id).is_(None) if None in assignees else not_(true()),
            ),
        )
    partition = col(Ticket.assignee_id) if by_assignee else None
    ranked = (
        sa_select(
            col(Ticket.id).label("id"),
            col(Ticket.assignee_id).label("assignee"),
            selection.value.label("value"),
            func.row_number().over(partition_by=partition, order_by=selection.order).label("n"),
            func.count().over(partition_by=partition).label("total"),
        )
        .select_from(selection.source)
        .where(condition)
        .subquery("ranked")
    )
    query = (
        select(Ticket, ranked.c.value, ranked.c.total, ranked.c.assignee)
        .join(ranked, ranked.c.id == col(Ticket.id))
        .where(ranked.c.n <= limit)
        .order_by(*([ranked.c.assignee] if by_assignee else []), ranked.c.n)
    )
    found: dict[Assignee, Shortlist] = {}
    for ticket, value, total, assignee in session.exec(query).all():
        shortlist = found.setdefault(assignee if by_assignee else None, Shortlist(total=total))
        shortlist.rows.append((ticket, value))
    return found
