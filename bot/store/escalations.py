"""Escalations to a delivery lead: who raised what about which ticket, and how far it got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.types import UTCDateTime

# Escalation.reason → what the modal shows (the playbook's reasons to bring in a lead).
REASONS = {
    "unhappy": "Client is unhappy",
    "out-of-scope": "Out of scope — chargeable work",
    "post-update": "Problem after an update has taken over 2 hours",
    "other": "Other",
}

CHARGEABLE = "out-of-scope"
POST_UPDATE = "post-update"

# Escalation.state
RAISED = "raised"
ACKNOWLEDGED = "acknowledged"
CONTACTING = "contacting"


class Escalation(SQLModel, table=True):
    __tablename__ = "escalation"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, index=True)
    raised_by: str = Field(max_length=64)
    reason: str = Field(max_length=32)
    note: str = Field(default="", sa_type=Text)
    lead: str = Field(max_length=64, index=True)
    state: str = Field(default=RAISED, max_length=16)
    raised_at: datetime = Field(sa_type=UTCDateTime, index=True)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    contacting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # False until Zendesk has the internal note; the jobs retry it until then.
    zendesk_note_ok: bool = Field(default=False, index=True)
    zendesk_error: str | None = Field(default=None, max_length=500)
    channel_id: str | None = Field(default=None, max_length=64)
    channel_ts: str | None = Field(default=None, max_length=32)
    lead_dm_channel: str | None = Field(default=None, max_length=64)
    lead_dm_ts: str | None = Field(default=None, max_length=32)
    # Chargeable work: where the ticket went in Zendesk (a user, or a group when the lead has no
    # Zendesk user), what it was assigned to before (for *Take it back*), and the tag added.
    reassigned_assignee_id: int | None = Field(default=None, sa_type=BigInteger)
    reassigned_group_id: int | None = Field(default=None, sa_type=BigInteger)
    reassigned_to: str | None = Field(default=None, max_length=255)
    reassigned_tag: str | None = Field(default=None, max_length=64)
    previous_assignee_id: int | None = Field(default=None, sa_type=BigInteger)
    previous_group_id: int | None = Field(default=None, sa_type=BigInteger)
    reassign_error: str | None = Field(default=None, max_length=500)
    taken_back_by: str | None = Field(default=None, max_length=64)
    taken_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def reassigned(self) -> bool:
        return self.reassigned_tag is not None and self.taken_back_at is None


def add_escalation(
    *,
    session: Session,
    ticket_id: int,
    raised_by: str,
    reason: str,
    note: str,
    lead: str,
    now: datetime,
) -> Escalation:
    escalation = Escalation(
        ticket_id=ticket_id, raised_by=raised_by, reason=reason, note=note, lead=lead, raised_at=now
    )
    session.add(escalation)
    session.flush()
    return escalation


def escalation_by_id(
    *, session: Session, escalation_id: int, for_update: bool = False
) -> Escalation | None:
    query = select(Escalation).where(Escalation.id == escalation_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def save_escalation(*, session: Session, escalation: Escalation) -> None:
    session.add(escalation)


def pending_zendesk_notes(*, session: Session) -> list[Escalation]:
    query = (
        select(Escalation)
        .where(col(Escalation.zendesk_note_ok).is_(False))
        .order_by(col(Escalation.id))
    )
    return list(session.exec(query))


def escalations_between(*, session: Session, start: datetime, end: datetime) -> list[Escalation]:
    query = (
        select(Escalation)
        .where(col(Escalation.raised_at) >= start, col(Escalation.raised_at) < end)
        .order_by(col(Escalation.raised_at), col(Escalation.id))
    )
    return list(session.exec(query))


def chargeable_between(*, session: Session, start: datetime, end: datetime) -> list[Escalation]:
    """Chargeable escalations raised in [start, end) whose reassignment still stands."""
    query = (
        select(Escalation)
        .where(
            Escalation.reason == CHARGEABLE,
            col(Escalation.raised_at) >= start,
            col(Escalation.raised_at) < end,
            col(Escalation.taken_back_at).is_(None),
        )
        .order_by(col(Escalation.raised_at), col(Escalation.id))
    )
    return list(session.exec(query))


def open_escalations(*, session: Session, limit: int = 20) -> list[Escalation]:
    """Escalations no lead has acknowledged yet, oldest first."""
    query = (
        select(Escalation)
        .where(Escalation.state == RAISED)
        .order_by(col(Escalation.raised_at), col(Escalation.id))
        .limit(limit)
    )
    return list(session.exec(query))
