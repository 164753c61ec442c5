"""The ticket mirror's tables and queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.jobs import sync
from bot.jobs.base import JobContext
from bot.services import Services, build_services
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.tickets import (
    Ticket,
    in_mirror,
    open_tickets,
    save_sync_cursor,
    sync_state,
    ticket_by_id,
)
from bot.zendesk.client import ZendeskClient
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk
from tests.store.statements_seen import statements_seen

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
# Zendesk ids outgrow 32 bits.
BIG = 2**40 + 7


def ticket(ticket_id: int, status: str, updated: datetime) -> Ticket:
    return Ticket(
        id=ticket_id,
        subject=f"T{ticket_id}",
        status=status,
        assignee_id=BIG,
        tags=["vip", "billing"],
        created_at=updated,
        updated_at=updated,
    )


def test_open_tickets_are_the_working_set(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n, status in enumerate(["new", "open", "pending", "hold", "solved", "closed"]):
            session.add(ticket(BIG + n, status, NOW + timedelta(minutes=n)))
    with Session(engine) as session:
        assert [t.status for t in open_tickets(session=session)] == [
            "new",
            "open",
            "pending",
            "hold",
        ]
        closed = ticket_by_id(session=session, ticket_id=BIG + 5)
    assert closed is not None and closed.tags == ["vip", "billing"] and closed.assignee_id == BIG


def test_whether_the_mirror_has_a_ticket_is_one_statement(engine: Engine) -> None:
    """One SELECT, in autocommit: no session, no transaction (on PostgreSQL straight through
    the driver, which prepares it once it has run a few times)."""
    seen = statements_seen(engine)
    assert not in_mirror(engine, BIG)
    with session_scope(engine) as session:
        session.add(ticket(BIG, "open", NOW))
    seen.clear()
    for _ in range(6):
        assert in_mirror(engine, BIG)
    assert [(s.split()[:4], autocommit) for s, autocommit in seen.statements] == [
        (
            ["SELECT", "ticket.id" if engine.dialect.name == "sqlite" else "1", "FROM", "ticket"],
            True,
        )
    ] * 6
    assert seen.commits == 0
    assert not in_mirror(engine, 0) and not in_mirror(engine, 2**70)  # no such ids: no query
    assert len(seen.statements) == 6


def test_the_cursor_is_kept(engine: Engine) -> None:
    with session_scope(engine) as session:
        save_sync_cursor(session=session, name="tickets", cursor="abc", now=NOW)
    with session_scope(engine) as session:
        save_sync_cursor(session=session, name="tickets", cursor="def", now=NOW)
    with Session(engine) as session:
        state = sync_state(session=session, name="tickets")
    assert state is not None and (state.cursor, state.updated_at) == ("def", NOW)


@pytest.fixture
def services_on(
    db_url: str, settings: Settings, clock: MutableClock, fake_zendesk: FakeZendesk
) -> Iterator[Services]:
    client = ZendeskClient(
        base_url=fake_zendesk.url,
        email=fake_zendesk.email,
        token=fake_zendesk.token,
        sleep=lambda _seconds: None,
        export_page_size=2,
    )
    built = build_services(replace(settings, database_url=db_url), clock=clock, zendesk=client)
    yield built
    built.engine.dispose()


def test_a_sync_with_big_ids(services_on: Services, fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_user(BIG, name="Carol", email="c@acme.test", role="end-user")
    fake_zendesk.add_organization(BIG + 1, name="Acme")
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for n in range(3):
        fake_zendesk.add_ticket(
            BIG + n,
            subject=f"T{n}",
            requester_id=BIG,
            organization_id=BIG + 1,
            created_at=monday + timedelta(hours=n),
        )
    fake_zendesk.add_comment(BIG, author_id=BIG, body="Help", created_at=monday)
    report = sync.run_sync(JobContext(services=services_on, now=services_on.now()))
    assert report.summary == "mirrored 3 tickets and 1 comment from 2 pages; up to date."
    with services_on.session() as session:
        mirrored = [t.id for t in open_tickets(session=session)]
        first = ticket_by_id(session=session, ticket_id=BIG)
    assert mirrored == [BIG, BIG + 1, BIG + 2]
    assert first is not None and first.last_requester_comment_at == monday
