"""Digest lines and escalations on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.store.db import session_scope
from bot.store.digest_lines import (
    record_digest_lines,
    repeatedly_nudged,
)
from bot.store.escalations import (
    add_escalation,
    escalations_between,
    open_escalations,
    pending_zendesk_notes,
)
from bot.store.nudge_ledger import claim_nudge, mark_sent, nudge_for_message

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
WED = date(2026, 12, 2)
SINCE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def digest(engine: Engine, key: str, tickets: list[int], day: date, *, sent: bool) -> None:
    with session_scope(engine) as session:
        record_digest_lines(
            session=session,
            job="client-waiting",
            message_key=key,
            recipient="U1",
            day=day,
            lines=[(ticket_id, SINCE) for ticket_id in tickets],
        )
        # Recording twice (a retried run) adds nothing.
        record_digest_lines(
            session=session,
            job="client-waiting",
            message_key=key,
            recipient="U1",
            day=day,
            lines=[(ticket_id, SINCE) for ticket_id in tickets],
        )
        claim_nudge(
            session=session, key=key, job="client-waiting", recipient="U1", worker="w", now=NOW
        )
        if sent:
            mark_sent(session=session, key=key, channel="DU1", ts=f"1.{key[-1]}", now=NOW)


def test_only_lines_of_sent_digests_count(engine: Engine) -> None:
    digest(engine, "k1", [1, 2], WED - timedelta(days=1), sent=True)
    digest(engine, "k2", [1, 3], WED, sent=True)
    digest(engine, "k3", [4], WED, sent=False)
    with session_scope(engine) as session:
        thursday = WED + timedelta(days=1)
        # Ticket 1 was carried on two days, 2 and 3 on one; 4's digest was never sent.
        twice = repeatedly_nudged(session=session, job="client-waiting", before=thursday, days=2)
        assert twice == {(1, SINCE)}
        once = repeatedly_nudged(session=session, job="client-waiting", before=thursday, days=1)
        assert once == {(1, SINCE), (2, SINCE), (3, SINCE)}
        # Only days before `before` count.
        assert repeatedly_nudged(session=session, job="client-waiting", before=WED, days=1) == {
            (1, SINCE),
            (2, SINCE),
        }
        assert repeatedly_nudged(session=session, job="other", before=thursday, days=1) == set()
        found = nudge_for_message(session=session, channel="DU1", ts="1.2")
        assert found is not None and found.key == "k2" and found.recipient == "U1"
        assert nudge_for_message(session=session, channel="DU1", ts="9.9") is None


def test_escalation_queries(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = add_escalation(
            session=session,
            ticket_id=10**12,
            raised_by="U1",
            reason="unhappy",
            note="",
            lead="UL",
            now=NOW - timedelta(days=8),
        )
        second = add_escalation(
            session=session,
            ticket_id=5,
            raised_by="U2",
            reason="other",
            note="n",
            lead="UL",
            now=NOW,
        )
        second.state = "acknowledged"
        second.zendesk_note_ok = True
    with session_scope(engine) as session:
        assert [e.ticket_id for e in pending_zendesk_notes(session=session)] == [10**12]
        assert [e.ticket_id for e in open_escalations(session=session)] == [10**12]
        week = escalations_between(
            session=session, start=NOW - timedelta(days=7), end=NOW + timedelta(seconds=1)
        )
        assert [e.id for e in week] == [second.id]
        assert first.id != second.id
