"""The nudge ledger on both databases: claim once, retry after a failure or a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.store.db import session_scope
from bot.store.nudge_ledger import (
    STALE_CLAIM,
    claim_nudge,
    mark_sent,
    nudge,
    release_claim,
    sent_keys,
)

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def claim(engine: Engine, key: str, worker: str, now: datetime = NOW) -> bool:
    with session_scope(engine) as session:
        return claim_nudge(
            session=session, key=key, job="test", recipient="U1", worker=worker, now=now
        )


def test_a_key_is_claimed_once(engine: Engine) -> None:
    assert claim(engine, "k1", "w1")
    assert not claim(engine, "k1", "w2")
    assert not claim(engine, "k1", "w1")


def test_a_sent_nudge_is_never_claimed_again(engine: Engine) -> None:
    assert claim(engine, "k1", "w1")
    with session_scope(engine) as session:
        mark_sent(session=session, key="k1", channel="DU1", ts="1.2", now=NOW)
    assert not claim(engine, "k1", "w2", now=NOW + timedelta(days=1))
    with session_scope(engine) as session:
        assert sent_keys(session=session, keys=["k1", "k2"]) == {"k1"}
        record = nudge(session=session, key="k1")
        assert record is not None and record.ts == "1.2" and record.sent_at == NOW


def test_a_failed_send_is_claimable_at_the_next_run(engine: Engine) -> None:
    assert claim(engine, "k1", "w1")
    with session_scope(engine) as session:
        release_claim(session=session, key="k1", error="ratelimited")
    assert claim(engine, "k1", "w2", now=NOW + timedelta(minutes=10))
    assert not claim(engine, "k1", "w3", now=NOW + timedelta(minutes=10))
    with session_scope(engine) as session:
        record = nudge(session=session, key="k1")
        assert record is not None and record.attempts == 2 and record.claimed_by == "w2"


def test_a_crashed_claim_is_taken_over_only_when_stale(engine: Engine) -> None:
    assert claim(engine, "k1", "crashed")
    assert not claim(engine, "k1", "w2", now=NOW + STALE_CLAIM - timedelta(seconds=1))
    assert claim(engine, "k1", "w2", now=NOW + STALE_CLAIM + timedelta(seconds=1))
