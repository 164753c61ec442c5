"""POST /zendesk/webhook over real HTTP, signed exactly as Zendesk signs it."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.http.zendesk_webhook import webhook_signature
from bot.services import Services
from bot.store.tickets import Ticket
from tests.conftest import ZENDESK_WEBHOOK_SECRET
from tests.doors import MutableClock, SlackDoor
from tests.fakes.zendesk_api import FakeZendesk, zendesk_time

CLIENT, ALICE = 1, 7


def zendesk_headers(
    body: str, *, timestamp: str, secret: str = ZENDESK_WEBHOOK_SECRET
) -> dict[str, str]:
    return {
        "X-Zendesk-Webhook-Signature": webhook_signature(secret, timestamp, body.encode()),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def post(slack: SlackDoor, body: str, headers: dict[str, str]) -> int:
    response = slack.post(
        "/zendesk/webhook", body, content_type="application/json", signed=False, headers=headers
    )
    return response.status_code


def mirrored(services: Services) -> dict[int, Ticket]:
    with services.session() as session:
        return {t.id: t for t in session.exec(select(Ticket))}


@pytest.fixture
def zendesk(
    zendesk_services: Services, fake_zendesk: FakeZendesk, clock: MutableClock
) -> FakeZendesk:
    fake_zendesk.add_organization(50, name="Acme Ltd")
    fake_zendesk.add_user(CLIENT, name="Carol Client", email="carol@acme.test", role="end-user")
    fake_zendesk.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    for ticket_id in (101, 102):
        fake_zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            organization_id=50,
            created_at=clock() - timedelta(days=1),
        )
    fake_zendesk.add_comment(
        101, author_id=CLIENT, body="Help", created_at=clock() - timedelta(hours=3)
    )
    return fake_zendesk


def now_stamp(clock: MutableClock) -> str:
    return zendesk_time(clock())


def test_a_signed_webhook_refreshes_only_the_named_ticket(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = '{"ticket_id": "101", "subject": "forged"}'
    assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 200
    slack.settle()
    tickets = mirrored(zendesk_services)
    assert list(tickets) == [101]
    assert tickets[101].subject == "Ticket 101"
    assert tickets[101].last_requester_comment_at == clock() - timedelta(hours=3)
    paths = [r.path for r in zendesk.requests]
    # The ticket and its comments are asked for together, then the people they name.
    assert sorted(paths[:2]) == [
        "/api/v2/tickets/101/comments.json",
        "/api/v2/tickets/show_many.json",
    ]
    assert paths[2:] == ["/api/v2/users/show_many.json", "/api/v2/organizations/show_many.json"]


def test_a_burst_of_webhooks_reads_each_ticket_once_more_at_most(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    """While one read is in flight, the webhooks that come in wait and go in one show_many."""
    reading, release = threading.Event(), threading.Event()

    def held(_seconds: float) -> None:
        reading.set()
        release.wait(timeout=10)

    zendesk._sleep = held
    zendesk.delay("/api/v2/tickets/show_many.json", 1)
    first = '{"ticket_id": "101"}'
    assert post(slack, first, zendesk_headers(first, timestamp=now_stamp(clock))) == 200
    assert reading.wait(timeout=10)
    for ticket_id in (101, 102, 101, 101):
        body = json.dumps({"ticket_id": str(ticket_id)})
        assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 200
    assert zendesk_services.zendesk is not None
    reads = zendesk_services.zendesk.ticket_reads
    deadline = time.monotonic() + 10
    while reads.callers < 5 and time.monotonic() < deadline:
        time.sleep(0.001)  # the webhooks' threads reaching the read, not a clock to inject
    release.set()
    slack.settle()

    shown = [r.query["ids"] for r in zendesk.requests_to("/api/v2/tickets/show_many.json")]
    assert shown == ["101", "101,102"]
    assert sorted(mirrored(zendesk_services)) == [101, 102]


def test_a_ticket_deleted_in_zendesk_leaves_the_mirror_when_its_webhook_comes(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = '{"ticket_id": "101"}'
    post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock)))
    slack.settle()
    zendesk.delete_ticket(101)
    zendesk.clear()
    post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock)))
    slack.settle()
    assert mirrored(zendesk_services) == {}
    # Its comments were asked for beside it (Zendesk answers 404 now): nobody minds.
    assert "/api/v2/tickets/101/comments.json" in [r.path for r in zendesk.requests]


def test_an_event_subscription_payload_names_the_ticket_in_detail(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = json.dumps({"type": "zen:event-type:ticket.status_changed", "detail": {"id": "102"}})
    assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 200
    slack.settle()
    assert list(mirrored(zendesk_services)) == [102]


def test_zendesk_gets_its_answer_before_the_ticket_is_read(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    zendesk.delay("/api/v2/tickets/show_many.json", 0.5)
    body = '{"ticket_id": 101}'
    started = time.monotonic()
    assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 200
    assert time.monotonic() - started < 0.5
    slack.settle()
    assert list(mirrored(zendesk_services)) == [101]


def test_a_bad_signature_is_refused_without_any_api_call(
    zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = '{"ticket_id": "101"}'
    forged = zendesk_headers(body, timestamp=now_stamp(clock), secret="not-the-secret")
    assert post(slack, body, forged) == 401
    assert post(slack, body, {}) == 401
    tampered = zendesk_headers('{"ticket_id": "102"}', timestamp=now_stamp(clock))
    assert post(slack, body, tampered) == 401
    slack.settle()
    assert zendesk.requests == []


def test_an_old_timestamp_is_refused(
    zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = '{"ticket_id": "101"}'
    stale = zendesk_time(clock() - timedelta(minutes=6))
    assert post(slack, body, zendesk_headers(body, timestamp=stale)) == 401
    future = zendesk_time(clock() + timedelta(minutes=6))
    assert post(slack, body, zendesk_headers(body, timestamp=future)) == 401
    assert post(slack, body, zendesk_headers(body, timestamp="yesterday")) == 401
    slack.settle()
    assert zendesk.requests == []


@pytest.mark.parametrize("body", ["not json", "[]", "{}", '{"ticket_id": "abc"}', '{"detail": {}}'])
def test_a_body_naming_no_ticket_is_a_bad_request(
    zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock, body: str
) -> None:
    assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 400
    slack.settle()
    assert zendesk.requests == []


def test_an_unknown_ticket_is_answered_and_nothing_is_written(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    body = '{"ticket_id": "999"}'
    assert post(slack, body, zendesk_headers(body, timestamp=now_stamp(clock))) == 200
    slack.settle()
    assert mirrored(zendesk_services) == {}


def test_without_a_secret_the_webhook_says_what_to_set(
    zendesk_services: Services, zendesk: FakeZendesk, slack: SlackDoor, clock: MutableClock
) -> None:
    zendesk_services.settings = replace(zendesk_services.settings, zendesk_webhook_secret=None)
    body = '{"ticket_id": "101"}'
    response = slack.post(
        "/zendesk/webhook",
        body,
        content_type="application/json",
        signed=False,
        headers=zendesk_headers(body, timestamp=now_stamp(clock)),
    )
    assert response.status_code == 503
    assert response.text.startswith("ZENDESK_WEBHOOK_SECRET is not set")
    assert zendesk.requests == []
