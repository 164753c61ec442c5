"""The door's memory of signed Slack requests, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.store.db import session_scope
from bot.store.slack_requests import (
    SeenSlackRequest,
    check_writable,
    claim_slack_request,
    forget_slack_requests_before,
)

SIGNED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def claim(engine: Engine, signature: str, signed_at: datetime = SIGNED) -> bool:
    with session_scope(engine) as session:
        return claim_slack_request(session=session, signature=signature, signed_at=signed_at)


def remembered(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(row.signature for row in session.exec(select(SeenSlackRequest)))


def test_a_signature_is_claimed_once_by_every_process(engine: Engine) -> None:
    assert claim(engine, "v0=aa")
    assert not claim(engine, "v0=aa")
    assert claim(engine, "v0=bb")
    assert remembered(engine) == ["v0=aa", "v0=bb"]


def test_old_signatures_are_forgotten(engine: Engine) -> None:
    claim(engine, "v0=old", SIGNED - timedelta(minutes=11))
    claim(engine, "v0=recent", SIGNED - timedelta(minutes=9))
    with session_scope(engine) as session:
        forget_slack_requests_before(session=session, before=SIGNED - timedelta(minutes=10))
    assert remembered(engine) == ["v0=recent"]


def test_the_write_check_leaves_nothing_behind(engine: Engine) -> None:
    check_writable(engine, now=SIGNED)
    check_writable(engine, now=SIGNED)
    assert remembered(engine) == []
