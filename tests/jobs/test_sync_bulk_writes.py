"""The sync writes a page in bulk: new and known tickets, people and clients, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.jobs import sync
from bot.jobs.base import JobContext
from bot.services import Services, build_services
from bot.settings import Settings
from bot.store.priority_reviews import PriorityReview
from bot.store.tickets import Ticket, save_ticket
from bot.store.zendesk_people import (
    ZendeskOrganization,
    ZendeskUser,
    remember_slack_match,
    upsert_organization,
    upsert_zendesk_user,
)
from bot.zendesk.client import ZendeskClient
from tests.doors import MutableClock
from tests.fakes.zendesk_api import FakeZendesk

MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Zendesk ids outgrow 32 bits.
BIG = 2**40
CLIENT, ALICE, BOB = BIG + 1, BIG + 2, BIG + 3
ACME, GLOBEX = BIG + 10, BIG + 11
NEW, KNOWN, QUIET = BIG + 100, BIG + 101, BIG + 102


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


@pytest.fixture
def zendesk(fake_zendesk: FakeZendesk) -> FakeZendesk:
    """Three tickets: one new with a conversation, one already mirrored, one without comments."""
    fake_zendesk.add_organization(ACME, name="Acme Ltd")
    fake_zendesk.add_organization(GLOBEX, name="Globex")
    fake_zendesk.add_user(CLIENT, name="Carol Client", email="carol@acme.test", role="end-user")
    fake_zendesk.add_user(ALICE, name="Alice Agent", email="alice@new.test", role="agent")
    fake_zendesk.add_user(BOB, name="Bob Admin", email="bob@team.test", role="admin")
    fake_zendesk.add_ticket(
        NEW,
        subject="Export fails",
        requester_id=CLIENT,
        assignee_id=BOB,
        organization_id=ACME,
        priority="high",
        tags=["vip", "export"],
        created_at=MON,
    )
    fake_zendesk.add_comment(NEW, author_id=CLIENT, body="It broke", created_at=MON)
    fake_zendesk.add_comment(
        NEW, author_id=BOB, body="Looking", created_at=MON + timedelta(hours=1)
    )
    fake_zendesk.add_comment(
        NEW, author_id=ALICE, body="internal", public=False, created_at=MON + timedelta(hours=2)
    )
    fake_zendesk.add_comment(
        NEW, author_id=CLIENT, body="Any news?", created_at=MON + timedelta(hours=3)
    )
    fake_zendesk.add_ticket(
        KNOWN,
        subject="Login loops",
        requester_id=CLIENT,
        assignee_id=ALICE,
        organization_id=ACME,
        priority="urgent",
        created_at=MON - timedelta(days=2),
        updated_at=MON + timedelta(hours=4),
    )
    fake_zendesk.add_comment(
        KNOWN, author_id=ALICE, body="On it", created_at=MON + timedelta(hours=4)
    )
    fake_zendesk.add_ticket(
        QUIET,
        subject="Invoice copy",
        requester_id=CLIENT,
        organization_id=GLOBEX,
        status="pending",
        priority=None,
        created_at=MON + timedelta(hours=5),
    )
    return fake_zendesk


def mirror_before_the_sync(services: Services) -> None:
    """What an earlier sync left: Alice at her old address, Bob renamed since, one ticket."""
    with services.session() as session:
        upsert_zendesk_user(
            session=session, user_id=ALICE, name="Alice", email="alice@old.test", role="agent"
        )
        upsert_zendesk_user(
            session=session, user_id=BOB, name="Robert", email="bob@team.test", role="admin"
        )
        upsert_organization(session=session, organization_id=ACME, name="Acme")
        save_ticket(
            session=session,
            ticket=Ticket(
                id=KNOWN,
                subject="Login loops?",
                status="new",
                priority="low",
                requester_id=CLIENT,
                created_at=MON - timedelta(days=2),
                updated_at=MON - timedelta(days=1),
                last_comment_id=0,
            ),
        )
    with services.session() as session:
        for user_id, slack_id in ((ALICE, "UALICE"), (BOB, "UBOB")):
            remember_slack_match(
                session=session,
                zendesk_user_id=user_id,
                slack_user_id=slack_id,
                now=MON - timedelta(days=1),
            )


def run(services: Services) -> str:
    return sync.run_sync(JobContext(services=services, now=services.now())).summary


def tickets(services: Services) -> dict[int, Ticket]:
    with services.session() as session:
        return {ticket.id: ticket for ticket in session.exec(select(Ticket))}


def people(services: Services) -> dict[int, tuple[str, str | None, str, str | None]]:
    with services.session() as session:
        return {
            user.id: (user.name, user.email, user.role, user.slack_user_id)
            for user in session.exec(select(ZendeskUser))
        }


def clients(services: Services) -> dict[int, str]:
    with services.session() as session:
        return {org.id: org.name for org in session.exec(select(ZendeskOrganization))}


def reviews(services: Services) -> list[tuple[int, str, datetime, str, str | None]]:
    with services.session() as session:
        query = select(PriorityReview).order_by(PriorityReview.id)  # type: ignore[arg-type]
        return [
            (r.ticket_id, r.reviewed_by, r.reviewed_at, r.source, r.priority_set)
            for r in session.exec(query)
        ]


def test_a_page_inserts_new_records_and_updates_known_ones(
    services_on: Services, zendesk: FakeZendesk
) -> None:
    mirror_before_the_sync(services_on)
    # A page of tickets, a page of their events.
    assert run(services_on) == "mirrored 3 tickets and 5 comments from 2 pages; up to date."

    mirrored = tickets(services_on)
    new = mirrored[NEW]
    assert (new.subject, new.status, new.priority, new.previous_priority) == (
        "Export fails",
        "open",
        "high",
        None,
    )
    assert (new.requester_id, new.assignee_id, new.organization_id) == (CLIENT, BOB, ACME)
    assert new.tags == ["vip", "export"]
    assert (new.created_at, new.updated_at) == (MON, MON)
    assert (new.last_agent_public_reply_at, new.last_agent_public_reply_by) == (
        MON + timedelta(hours=1),
        BOB,
    )
    assert new.last_requester_comment_at == MON + timedelta(hours=3)
    assert new.last_comment_id is not None and new.last_comment_id > 0
    assert new.synced_at == services_on.now()

    known = mirrored[KNOWN]
    assert (known.subject, known.status, known.priority, known.previous_priority) == (
        "Login loops",
        "open",
        "urgent",
        "low",
    )
    assert (known.assignee_id, known.organization_id) == (ALICE, ACME)
    assert known.updated_at == MON + timedelta(hours=4)
    assert (known.last_agent_public_reply_at, known.last_agent_public_reply_by) == (
        MON + timedelta(hours=4),
        ALICE,
    )

    quiet = mirrored[QUIET]
    assert (quiet.status, quiet.priority, quiet.tags) == ("pending", None, [])
    assert quiet.last_comment_id is None and quiet.last_agent_public_reply_at is None

    # Only a priority changed in Zendesk on a ticket already mirrored is a review.
    assert reviews(services_on) == [
        (KNOWN, "zendesk", MON + timedelta(hours=4), "zendesk", "urgent")
    ]
    # Alice's new address may be another Slack account; Bob's match still holds.
    assert people(services_on) == {
        CLIENT: ("Carol Client", "carol@acme.test", "end-user", None),
        ALICE: ("Alice Agent", "alice@new.test", "agent", None),
        BOB: ("Bob Admin", "bob@team.test", "admin", "UBOB"),
    }
    assert clients(services_on) == {ACME: "Acme Ltd", GLOBEX: "Globex"}


def test_the_next_sync_updates_what_the_first_inserted(
    services_on: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(services_on)
    first_synced = services_on.now()
    clock.advance(minutes=10)
    changed_at = clock() - timedelta(minutes=5)
    zendesk.add_organization(ACME, name="Acme Group")
    zendesk.add_user(CLIENT, name="Carol C.", email="carol@acme.example", role="end-user")
    zendesk.add_comment(NEW, author_id=CLIENT, body="Thanks", created_at=changed_at)
    zendesk.update_ticket(NEW, priority="low", status="pending", updated_at=changed_at)
    assert run(services_on) == "mirrored 1 ticket and 1 comment from 2 pages; up to date."

    mirrored = tickets(services_on)
    new = mirrored[NEW]
    assert (new.status, new.priority, new.previous_priority) == ("pending", "low", "high")
    assert (new.updated_at, new.last_requester_comment_at) == (changed_at, changed_at)
    assert new.synced_at == services_on.now()
    assert mirrored[QUIET].synced_at == first_synced
    assert reviews(services_on)[-1] == (NEW, "zendesk", changed_at, "zendesk", "low")
    assert people(services_on)[CLIENT] == ("Carol C.", "carol@acme.example", "end-user", None)
    assert clients(services_on) == {ACME: "Acme Group", GLOBEX: "Globex"}
