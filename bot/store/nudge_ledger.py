"""The nudge ledger: every message a job sends, claimed before sending, marked sent after.

A unique key per nudge makes a second run (or a second worker) find it already claimed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.types import UTCDateTime

# A claim this old without a send means its worker died mid-send; someone may take it over.
STALE_CLAIM = timedelta(minutes=5)


class Nudge(SQLModel, table=True):
    __tablename__ = "nudge"

    key: str = Field(primary_key=True, max_length=255)
    job: str = Field(max_length=64, index=True)
    recipient: str = Field(max_length=64)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    attempts: int = 1
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    channel: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=500)


def claim_nudge(
    *, session: Session, key: str, job: str, recipient: str, worker: str, now: datetime
) -> bool:
    """True when this worker may send the nudge now; commit before sending."""
    try:
        with session.begin_nested():
            session.add(
                Nudge(key=key, job=job, recipient=recipient, claimed_at=now, claimed_by=worker)
            )
        return True
    except IntegrityError:
        pass
    # A released claim (failed send) or a stale one (crashed worker) may be taken over, once.
    taken = session.execute(
        update(Nudge)
        .where(
            col(Nudge.key) == key,
            col(Nudge.sent_at).is_(None),
            (col(Nudge.claimed_by).is_(None)) | (col(Nudge.claimed_at) < now - STALE_CLAIM),
        )
        .values(claimed_at=now, claimed_by=worker, attempts=Nudge.attempts + 1)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def mark_sent(*, session: Session, key: str, channel: str, ts: str, now: datetime) -> None:
    session.execute(
        update(Nudge)
        .where(col(Nudge.key) == key)
        .values(sent_at=now, channel=channel, ts=ts, last_error=None)
    )


def release_claim(*, session: Session, key: str, error: str) -> None:
    """The send failed: leave the nudge claimable so a later run retries it."""
    session.execute(
        update(Nudge)
        .where(col(Nudge.key) == key, col(Nudge.sent_at).is_(None))
        .values(claimed_by=None, last_error=error[:500])
    )


def sent_keys(*, session: Session, keys: list[str]) -> set[str]:
    """Which of these keys were already sent (to skip building messages twice)."""
    if not keys:
        return set()
    query = select(Nudge.key).where(col(Nudge.key).in_(keys), col(Nudge.sent_at).is_not(None))
    return set(session.exec(query))


def sent_with_prefix(*, session: Session, prefix: str) -> bool:
    """Whether any nudge whose key starts with `prefix` was sent."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(Nudge.key).where(
        col(Nudge.key).like(pattern, escape="\\"), col(Nudge.sent_at).is_not(None)
    )
    return session.exec(query.limit(1)).first() is not None


def nudge(*, session: Session, key: str) -> Nudge | None:
    return session.get(Nudge, key)


def nudge_for_message(*, session: Session, channel: str, ts: str) -> Nudge | None:
    """The ledger entry of a message a job sent, found from the message itself."""
    query = select(Nudge).where(Nudge.channel == channel, Nudge.ts == ts)
    return session.exec(query).first()
