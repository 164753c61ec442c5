"""Help that is scheduled: who asked whom to help with which ticket, when, and the answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, Session, SQLModel, col, or_, select

from bot.store.types import UTCDateTime

# HelpRequest.state
ASKED = "asked"
ACCEPTED = "accepted"
DECLINED = "declined"


class HelpRequest(SQLModel, table=True):
    __tablename__ = "help_request"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    asker: str = Field(max_length=64, index=True)
    helper: str = Field(max_length=64, index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    minutes: int
    what: str = Field(default="", sa_type=Text)
    state: str = Field(default=ASKED, max_length=16, index=True)
    # Who must answer now: the helper, or the asker after the helper suggested another time.
    waiting_on: str = Field(max_length=64)
    # When the question now waiting was put (a suggestion puts it again).
    asked_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The DM holding the question, to update when it is answered elsewhere.
    question_channel: str | None = Field(default=None, max_length=64)
    question_ts: str | None = Field(default=None, max_length=32)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    def other(self, user: str) -> str:
        return self.helper if user == self.asker else self.asker


def add_help_request(*, session: Session, request: HelpRequest) -> HelpRequest:
    session.add(request)
    session.flush()
    return request


def help_request_by_id(
    *, session: Session, request_id: int, for_update: bool = False
) -> HelpRequest | None:
    query = select(HelpRequest).where(HelpRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def save_help_request(*, session: Session, request: HelpRequest) -> None:
    session.add(request)


def booked_help(
    *, session: Session, now: datetime, users: list[str] | None = None, limit: int = 10
) -> list[HelpRequest]:
    """Accepted help not yet over, soonest first; only where `users` ask or help, if given."""
    query = select(HelpRequest).where(
        HelpRequest.state == ACCEPTED, col(HelpRequest.starts_at) > now - timedelta(hours=8)
    )
    if users is not None:
        query = query.where(
            or_(col(HelpRequest.asker).in_(users), col(HelpRequest.helper).in_(users))
        )
    query = query.order_by(col(HelpRequest.starts_at), col(HelpRequest.id))
    return [request for request in session.exec(query) if request.ends_at > now][:limit]


def help_starting_by(*, session: Session, start: datetime, end: datetime) -> list[HelpRequest]:
    """Accepted help starting in [start, end]."""
    query = (
        select(HelpRequest)
        .where(
            HelpRequest.state == ACCEPTED,
            col(HelpRequest.starts_at) >= start,
            col(HelpRequest.starts_at) <= end,
        )
        .order_by(col(HelpRequest.starts_at), col(HelpRequest.id))
    )
    return list(session.exec(query))


def unanswered_help(*, session: Session) -> list[HelpRequest]:
    query = select(HelpRequest).where(HelpRequest.state == ASKED).order_by(col(HelpRequest.id))
    return list(session.exec(query))
