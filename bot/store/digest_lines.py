"""Which tickets each digest carried, so a ticket is nudged at most once a working day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint, delete, func
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.store.nudge_ledger import Nudge
from bot.store.types import UTCDateTime


class DigestLine(SQLModel, table=True):
    """One ticket in one digest message; it counts once the message's ledger entry is sent."""

    __tablename__ = "digest_line"
    __table_args__ = (UniqueConstraint("message_key", "ticket_id"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    message_key: str = Field(max_length=255, index=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    recipient: str = Field(max_length=64)
    day: date
    # When the client started waiting (client-waiting), to tell one waiting spell from the next.
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Which tickets a job's digests carried on a day (each run leaves those out).
Index(
    "ix_digest_line_job_day",
    DigestLine.__table__.c.job,  # type: ignore[attr-defined]
    DigestLine.__table__.c.day,  # type: ignore[attr-defined]
    DigestLine.__table__.c.ticket_id,  # type: ignore[attr-defined]
)


def record_digest_lines(
    *,
    session: Session,
    job: str,
    message_key: str,
    recipient: str,
    day: date,
    lines: Iterable[tuple[int, datetime | None]],
) -> None:
    known = set(
        session.exec(select(DigestLine.ticket_id).where(DigestLine.message_key == message_key))
    )
    for ticket_id, since in lines:
        if ticket_id not in known:
            session.add(
                DigestLine(
                    job=job,
                    message_key=message_key,
                    ticket_id=ticket_id,
                    recipient=recipient,
                    day=day,
                    since=since,
                )
            )


def replace_digest_lines(
    *,
    session: Session,
    job: str,
    message_key: str,
    recipient: str,
    day: date,
    lines: Iterable[tuple[int, datetime | None]],
) -> None:
    """As record_digest_lines, for a message whose key stays while its lines change (one per
    person per day): lines recorded for it and not sent are forgotten first. Once its
    message is sent, its lines stay as they are."""
    if (
        session.get(Nudge, message_key) is not None
        and session.exec(
            select(Nudge.key).where(Nudge.key == message_key, col(Nudge.sent_at).is_not(None))
        ).first()
    ):
        return
    session.execute(delete(DigestLine).where(col(DigestLine.message_key) == message_key))
    record_digest_lines(
        session=session, job=job, message_key=message_key, recipient=recipient, day=day, lines=lines
    )


def _sent_lines(job: str) -> SelectOfScalar[DigestLine]:
    return (
        select(DigestLine)
        .join(Nudge, col(Nudge.key) == col(DigestLine.message_key))
        .where(DigestLine.job == job, col(Nudge.sent_at).is_not(None))
    )


def repeatedly_nudged(
    *, session: Session, job: str, before: date, days: int
) -> set[tuple[int, datetime | None]]:
    """(ticket, waiting since) that sent digests of `job` carried on at least `days` days
    before `before`: one row per waiting spell, however many digests carried it."""
    query = (
        select(col(DigestLine.ticket_id), col(DigestLine.since))
        .join(Nudge, col(Nudge.key) == col(DigestLine.message_key))
        .where(DigestLine.job == job, col(DigestLine.day) < before)
        .where(col(Nudge.sent_at).is_not(None))
        .group_by(col(DigestLine.ticket_id), col(DigestLine.since))
        .having(func.count(func.distinct(col(DigestLine.day))) >= days)
    )
    return {(ticket_id, since) for ticket_id, since in session.exec(query).all()}
