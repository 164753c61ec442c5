"""The door's memory of signed Slack requests, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.store.slack_requests import SeenSlackRequest, check_writable, remember_slack_request

SIGNED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LONG_AGO = SIGNED - timedelta(days=1)


def remember(engine: Engine, signature: str, signed_at: datetime = SIGNED) -> bool:
    return remember_slack_request(
        engine, signature=signature, signed_at=signed_at, forget_before=LONG_AGO
    )


def remembered(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(row.signature for row in session.exec(select(SeenSlackRequest)))


def test_a_signature_is_remembered_once_for_every_process(engine: Engine) -> None:
    assert remember(engine, "v0=aa")
    assert not remember(engine, "v0=aa")
    assert remember(engine, "v0=bb")
    assert remembered(engine) == ["v0=aa", "v0=bb"]


def test_old_signatures_are_forgotten(engine: Engine) -> None:
    remember(engine, "v0=old", SIGNED - timedelta(minutes=11))
    remember(engine, "v0=recent", SIGNED - timedelta(minutes=9))
    remember_slack_request(
        engine, signature="v0=now", signed_at=SIGNED, forget_before=SIGNED - timedelta(minutes=10)
    )
    assert remembered(engine) == ["v0=now", "v0=recent"]


def test_the_write_check_leaves_nothing_behind(engine: Engine) -> None:
    check_writable(engine, now=SIGNED)
    check_writable(engine, now=SIGNED)
    assert remembered(engine) == []
