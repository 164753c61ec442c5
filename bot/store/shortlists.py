"""The nudge rules of bot.nudges.rules as SQL: only the tickets a message shows leave the
database.

A desk with a hundred thousand open tickets may have tens of thousands needing a review; a
digest shows a couple of dozen and counts the rest. So, for each assignee, the database walks
an index already in the digest's order (see the partial indexes in bot.store.tickets) and
stops after the first `limit` tickets the rule picks; a second query counts them, stopping at
COUNT_LIMIT. Neither reads every open ticket, so a digest costs the same at any size.

The conditions here must say exactly what bot.nudges.rules says; a test holds them together.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, func, literal_column, not_, or_, text, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.priorities import priority_rank
from bot.store.digest_lines import DigestLine
from bot.store.index_scan import distinct_values
from bot.store.nudge_ledger import Nudge
from bot.store.priority_reviews import PriorityReview
from bot.store.tickets import OPEN_SQL, TRIAGE_RANK_SQL, UNANSWERED_SINCE_SQL, Ticket
from bot.store.types import UTCDateTime

# Shortlists keyed by assignee: None is the unassigned tickets.
Assignee = int | None
# Counting stops here: "200+ tickets" says as much to a person as the exact figure would.
COUNT_LIMIT = 200

# Spelled as the indexes spell them, so the databases use those indexes.
IS_OPEN = text(OPEN_SQL)
TRIAGE_RANK = literal_column(f"({TRIAGE_RANK_SQL})", type_=Integer)
UNANSWERED_SINCE = literal_column(UNANSWERED_SINCE_SQL, type_=UTCDateTime)


# Tickets that wait on us; pending and hold wait on the client or a third party.
ACTIVE_STATUSES = ("new", "open")


def stale_review_before(now: datetime, review_after_days: int) -> datetime:
    """A review at or before this instant is too old (calendar days, not working days)."""
    return now - timedelta(days=review_after_days)


@dataclass(frozen=True)
class WaitingCutoffs:
    """The client-waiting thresholds at one instant, as instants: a comparison each.

    A client comment at or before `client_wrote_by` has waited `waiting_hours` working hours;
    a ticket last replied to (or created) at or before `replied_by` has had no reply for
    `no_reply_days` working days. The database selects with the same two instants.
    """

    client_wrote_by: datetime
    replied_by: datetime


def triage_key(ticket: Ticket) -> tuple[int, datetime, int]:
    """Urgent → high → normal → low → no priority, then oldest first."""
    return (
        priority_rank(ticket.priority),
        ticket.created_at,
        ticket.id,
    )


@dataclass
class Shortlist:
    """The first tickets of a list, in order, each with its value (see Branch.value);
    `total` counts the whole list, or is a floor when `more_than` (counting stopped)."""

    rows: list[tuple[Ticket, Any]] = field(default_factory=list)
    total: int = 0
    more_than: bool = False

    def add(self, other: Shortlist) -> None:
        self.rows += other.rows
        self.total += other.total
        self.more_than = self.more_than or other.more_than


@dataclass(frozen=True)
class Branch:
    """Tickets one index yields in the list's order: which, in what order, with what value."""

    condition: ColumnElement[bool]
    order: tuple[Any, ...]
    value: Any


@dataclass(frozen=True)
class Selection:
    """A rule as SQL: its branches (each in index order), and the order they merge in."""

    branches: tuple[Branch, ...]
    key: Callable[[tuple[Ticket, Any]], Any]

    @property
    def condition(self) -> ColumnElement[bool]:
        return or_(*(branch.condition for branch in self.branches))


def needing_review(*, now: datetime, review_after_days: int) -> Selection:
    """bot.nudges.rules.review_reason in SQL; the value is when the priority was last reviewed."""
    reviewed_at = (
        sa_select(func.max(col(PriorityReview.reviewed_at)))
        .where(col(PriorityReview.ticket_id) == col(Ticket.id))
        .scalar_subquery()
    )
    client_at = col(Ticket.last_requester_comment_at)
    condition = or_(
        col(Ticket.priority).is_(None),
        reviewed_at.is_(None),
        client_at > reviewed_at,
        reviewed_at <= stale_review_before(now, review_after_days),
    )
    triage = Branch(
        condition=condition,
        order=(TRIAGE_RANK, col(Ticket.created_at), col(Ticket.id)),
        value=reviewed_at,
    )
    return Selection(branches=(triage,), key=lambda row: triage_key(row[0]))


def in_triage_order(condition: ColumnElement[bool] | None = None) -> Selection:
    """Open tickets (those meeting `condition`) in triage order, for the handover lists."""
    branch = Branch(
        condition=true() if condition is None else condition,
        order=(TRIAGE_RANK, col(Ticket.created_at), col(Ticket.id)),
        value=literal_column("NULL"),
    )
    return Selection(branches=(branch,), key=lambda row: triage_key(row[0]))


def clients_waiting(
    cutoffs: WaitingCutoffs, *, not_nudged: tuple[str, date] | None = None
) -> Selection:
    """bot.nudges.rules.client_waiting in SQL, most waiting first; the value is since when.

    `not_nudged=(job, day)` leaves out tickets a sent digest of that job carried that day.
    """
    client_at = col(Ticket.last_requester_comment_at)
    reply_at = col(Ticket.last_agent_public_reply_at)
    client_wrote = and_(client_at.is_not(None), or_(reply_at.is_(None), client_at > reply_at))
    client_waits = and_(client_wrote, client_at <= cutoffs.client_wrote_by)
    unanswered = and_(
        not_(client_waits),
        or_(col(Ticket.status).in_(ACTIVE_STATUSES), client_wrote),
        UNANSWERED_SINCE <= cutoffs.replied_by,
    )
    extra: list[ColumnElement[bool]] = []
    if not_nudged is not None:
        job, day = not_nudged
        nudged = (
            select(col(DigestLine.ticket_id))
            .join(Nudge, col(Nudge.key) == col(DigestLine.message_key))
            .where(DigestLine.job == job, DigestLine.day == day, col(Nudge.sent_at).is_not(None))
        )
        extra.append(not_(col(Ticket.id).in_(nudged)))
    wrote = Branch(
        condition=and_(client_waits, *extra),
        order=(client_at, col(Ticket.id)),
        value=client_at,
    )
    silent = Branch(
        condition=and_(unanswered, *extra),
        order=(UNANSWERED_SINCE, col(Ticket.id)),
        value=UNANSWERED_SINCE,
    )
    return Selection(branches=(wrote, silent), key=lambda row: (row[1], row[0].id))


def shortlists(
    session: Session,
    selection: Selection,
    *,
    limit: int,
    by_assignee: bool = False,
    assignees: Collection[Assignee] | None = None,
    count: bool = True,
) -> dict[Assignee, Shortlist]:
    """The first `limit` tickets selected and their count, per assignee or (keyed None)
    team-wide; `assignees` narrows the tickets to those assignees (None: unassigned).
    Without `count`, a list's total is only how many of its tickets were read."""
    groups = open_assignees(session)
    if assignees is not None:
        wanted = set(assignees)
        groups = [group for group in groups if group in wanted]
    found: dict[Assignee, Shortlist] = {}
    for group in groups:
        shortlist = _shortlist(session, selection, group, limit, count=count)
        if shortlist.total:
            found[group] = shortlist
    if by_assignee or not found:
        return found
    team = Shortlist()
    for shortlist in found.values():
        team.add(shortlist)
    team.rows = sorted(team.rows, key=selection.key)[:limit]
    return {None: team}


def _shortlist(
    session: Session, selection: Selection, group: Assignee, limit: int, *, count: bool
) -> Shortlist:
    held = col(Ticket.assignee_id).is_(None) if group is None else col(Ticket.assignee_id) == group
    total = 0
    if count:
        counted = (
            sa_select(col(Ticket.id))
            .where(held, IS_OPEN, selection.condition)
            .limit(COUNT_LIMIT + 1)
            .subquery()
        )
        total = int(session.execute(sa_select(func.count()).select_from(counted)).scalar_one())
        if not total:
            return Shortlist()
    rows: list[tuple[Ticket, Any]] = []
    for branch in selection.branches:
        query = (
            select(Ticket, branch.value)
            .where(held, IS_OPEN, branch.condition)
            # Leading with the assignee changes nothing (there is one), but lets PostgreSQL,
            # which reads "IS NULL" as no equality, see the index's order as the query's.
            .order_by(col(Ticket.assignee_id), *branch.order)
            .limit(limit)
        )
        rows += [(ticket, value) for ticket, value in session.exec(query).all()]
    rows = sorted(rows, key=selection.key)[:limit]
    if not count:
        return Shortlist(rows=rows, total=len(rows))
    return Shortlist(rows=rows, total=min(total, COUNT_LIMIT), more_than=total > COUNT_LIMIT)


def open_assignees(session: Session) -> list[Assignee]:
    """Who may hold open tickets (None: nobody), found by skipping along the assignee index
    rather than reading every ticket: everyone who holds any ticket, so a few may hold
    no open one (their lists come back empty)."""
    held = distinct_values(session, Ticket.__table__.c.assignee_id)  # type: ignore[attr-defined]
    return [*(int(assignee) for assignee in held), None]
