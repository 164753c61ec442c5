"""The audit trail: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, insert
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.db import utcnow
from bot.store.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    scope: str = Field(default="", max_length=64, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_RECORD = insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    scope: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """One INSERT, built once: most changes people make record one (see bot.store.statements)."""
    values = {"actor": actor, "action": action, "scope": scope, "detail": detail or {}}
    session.execute(_RECORD, {**values, "at": at or utcnow()})


def audit_events(*, session: Session, scope: str, limit: int = 100) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.scope == scope)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
