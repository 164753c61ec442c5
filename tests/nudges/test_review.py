"""The priority-review list read from the mirror: triage order, counts and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.blocks.digest import ReviewReason
from bot.nudges.review import review_lines, review_shortlists
from bot.store.db import session_scope
from bot.store.priority_reviews import record_priority_review
from bot.store.tickets import Ticket
from bot.store.zendesk_people import upsert_organization

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
OPENED = NOW - timedelta(days=10)


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_organization(session=session, organization_id=50, name="Acme Ltd")
        for ticket_id, priority, assignee in [
            (1, "low", 7),
            (2, "urgent", 7),
            (3, None, None),
            (4, "high", 8),
            (5, "normal", 7),
        ]:
            session.add(
                Ticket(
                    id=ticket_id,
                    subject=f"T{ticket_id}",
                    status="open",
                    priority=priority,
                    assignee_id=assignee,
                    organization_id=50 if ticket_id == 2 else None,
                    created_at=OPENED,
                    updated_at=OPENED,
                )
            )
    with session_scope(engine) as session:
        record_priority_review(
            session=session, ticket_id=5, reviewed_by="U1", reviewed_at=NOW, source="card"
        )


def test_team_wide_in_triage_order_with_the_count(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = review_shortlists(session, NOW, review_after_days=7, limit=3)
        assert list(found) == [None]
        assert [ticket.id for ticket, _ in found[None].rows] == [2, 4, 1]
        assert found[None].total == 4


def test_per_assignee(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = review_shortlists(session, NOW, review_after_days=7, limit=5, by_assignee=True)
        ids = {who: [ticket.id for ticket, _ in found[who].rows] for who in found}
        assert ids == {7: [2, 1], 8: [4], None: [3]}


def test_lines_carry_the_reason_client_and_link(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = review_shortlists(session, NOW, review_after_days=7, limit=5)
        lines = review_lines(
            session, found[None].rows, NOW, review_after_days=7, zendesk_url="https://z.test"
        )
        first, *_, last = lines
        assert first.ticket.id == 2 and first.client == "Acme Ltd"
        assert first.url == "https://z.test/agent/tickets/2"
        assert first.reason is ReviewReason.NEVER_REVIEWED
        assert last.ticket.id == 3 and last.reason is ReviewReason.NO_PRIORITY


def test_a_row_the_rule_disagrees_with_is_left_out(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        found = review_shortlists(session, NOW, review_after_days=7, limit=5)
        solved = Ticket(id=9, status="solved", created_at=OPENED, updated_at=OPENED)
        rows = [*found[None].rows, (solved, None)]
        lines = review_lines(session, rows, NOW, review_after_days=7, zendesk_url=None)
        assert 9 not in [line.ticket.id for line in lines]
