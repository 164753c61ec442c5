"""Priority reviews: who confirmed or changed a ticket's priority, when, and from where."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Index, bindparam, func, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.bulk_writes import Row, insert_rows, table_of
from bot.store.changes import REVIEWS, counted_write
from bot.store.statements import inserted
from bot.store.types import UTCDateTime

# Who a review is by when it was a priority change in Zendesk by an agent we can't name.
ZENDESK_REVIEWER = "zendesk"


class PriorityReview(SQLModel, table=True):
    __tablename__ = "priority_review"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    reviewed_by: str = Field(max_length=64)
    reviewed_at: datetime = Field(sa_type=UTCDateTime)
    priority_set: str | None = Field(default=None, max_length=16)
    # card | digest | zendesk
    source: str = Field(max_length=16)


Index(
    "ix_priority_review_latest",
    PriorityReview.__table__.c.ticket_id,  # type: ignore[attr-defined]
    PriorityReview.__table__.c.reviewed_at,  # type: ignore[attr-defined]
)


# Built once (see bot.store.statements): every card reads it.
_LAST_REVIEW = (
    select(PriorityReview)
    .where(PriorityReview.ticket_id == bindparam("ticket_id"))
    .order_by(col(PriorityReview.reviewed_at).desc(), col(PriorityReview.id).desc())
    .limit(1)
)


def record_priority_review(
    *,
    session: Session,
    ticket_id: int,
    reviewed_by: str,
    reviewed_at: datetime,
    source: str,
    priority_set: str | None = None,
) -> PriorityReview:
    review = PriorityReview(
        ticket_id=ticket_id,
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
        priority_set=priority_set,
        source=source,
    )
    return inserted(session, review)


def write_priority_review(engine: Engine, review: PriorityReview) -> PriorityReview:
    """Record a new review with no session, its count bumped (see counted_write); it is
    returned with its id, detached."""
    values = review.model_dump(exclude={"id"})
    review.id = counted_write(engine, _INSERT_REVIEW, values, REVIEWS).id
    return review


# Its values named (bound by name), so that it can run inside a WITH clause (counted_write).
_INSERT_REVIEW = (
    insert(table_of(PriorityReview))
    .values({c.name: bindparam(c.name) for c in table_of(PriorityReview).c if c.name != "id"})
    .returning(table_of(PriorityReview).c.id)
)


def last_priority_review(*, session: Session, ticket_id: int) -> PriorityReview | None:
    return session.exec(_LAST_REVIEW, params={"ticket_id": ticket_id}).first()


def last_priority_reviews(
    *, session: Session, ticket_ids: Collection[int]
) -> dict[int, PriorityReview]:
    """Each ticket's last review, by ticket id (tickets never reviewed are left out): one
    statement for them all."""
    if len(ticket_ids) == 1:
        (ticket_id,) = ticket_ids
        review = last_priority_review(session=session, ticket_id=ticket_id)
        return {} if review is None else {ticket_id: review}
    if not ticket_ids:
        return {}
    found = session.exec(_LAST_REVIEWS, params={"ticket_ids": sorted(ticket_ids)})
    return {review.ticket_id: review for review in found}


# The same order as _LAST_REVIEW, within each ticket: its first row is its last review.
_RANKED = select(
    PriorityReview,
    func.row_number()
    .over(
        partition_by=col(PriorityReview.ticket_id),
        order_by=(col(PriorityReview.reviewed_at).desc(), col(PriorityReview.id).desc()),
    )
    .label("rank"),
).where(col(PriorityReview.ticket_id).in_(bindparam("ticket_ids", expanding=True)))
_RANKED_REVIEWS = _RANKED.subquery()
_LAST_REVIEWS = select(aliased(PriorityReview, _RANKED_REVIEWS)).where(_RANKED_REVIEWS.c.rank == 1)


# --- the sync's bulk writes ---------------------------------------------------------------


def record_priority_reviews(*, session: Session, reviews: Sequence[Row]) -> None:
    """`record_priority_review` for each of these rows, in order, in one statement."""
    insert_rows(session, table_of(PriorityReview), reviews)
