"""The `sync` job against the fake Zendesk over HTTP: pages, changes, rate limits, crashes."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from bot.jobs import sync
from bot.jobs.base import JobReport
from bot.jobs.runner import run_job
from bot.services import Services
from bot.settings import ConfigError, parse_settings
from bot.store.tickets import SyncState, Ticket, open_tickets, ticket_by_id
from bot.store.zendesk_people import ZendeskOrganization, ZendeskUser
from bot.tickets.priority import change_priority
from bot.zendesk import comments as comment_readers
from bot.zendesk.client import ZendeskNotFound, ZendeskUnavailable
from bot.zendesk.mirror import ZendeskRead
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CLIENT, ALICE, BOB = 1, 7, 8


def seed(fake: FakeZendesk) -> None:
    """Five tickets updated an hour apart on Monday; ticket 101 has a conversation."""
    fake.add_organization(50, name="Acme Ltd")
    fake.add_user(CLIENT, name="Carol Client", email="carol@acme.test", role="end-user")
    fake.add_user(ALICE, name="Alice Agent", email="alice@team.test", role="agent")
    fake.add_user(BOB, name="Bob Admin", email="bob@team.test", role="admin")
    for n in range(5):
        fake.add_ticket(
            101 + n,
            subject=f"Ticket {101 + n}",
            requester_id=CLIENT,
            assignee_id=ALICE,
            organization_id=50,
            created_at=MON + timedelta(hours=n),
        )
    fake.add_comment(101, author_id=CLIENT, body="It broke", created_at=MON)
    fake.add_comment(101, author_id=BOB, body="Looking", created_at=MON + timedelta(hours=2))
    fake.add_comment(
        101, author_id=ALICE, body="internal", public=False, created_at=MON + timedelta(hours=5)
    )
    fake.add_comment(101, author_id=CLIENT, body="Any news?", created_at=MON + timedelta(hours=6))


def run(services: Services) -> JobReport:
    return run_job(services, sync.JOB, now=services.now())


def mirrored(services: Services) -> dict[int, Ticket]:
    with services.session() as session:
        return {t.id: t for t in session.exec(select(Ticket))}


def export_queries(fake: FakeZendesk) -> list[dict[str, str]]:
    return [r.query for r in fake.requests_to("/api/v2/incremental/tickets/cursor.json")]


def commented(fake: FakeZendesk) -> list[str]:
    return [r.path.split("/")[4] for r in fake.requests_to("/api/v2/tickets/")]


@pytest.fixture
def zendesk(zendesk_services: Services, fake_zendesk: FakeZendesk) -> FakeZendesk:
    seed(fake_zendesk)
    assert zendesk_services.zendesk is not None
    zendesk_services.zendesk.export_page_size = 2
    return fake_zendesk


def test_first_sync_pages_through_the_look_back(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    report = run(zendesk_services)
    assert report.summary == "mirrored 5 tickets from 3 pages; up to date."
    assert report.problems == []
    queries = export_queries(zendesk)
    thirty_days_ago = zendesk_services.now() - timedelta(days=30)
    assert queries[0]["start_time"] == str(int(thirty_days_ago.timestamp()))
    assert queries[0]["include"] == "users,organizations"
    assert ["cursor" in q for q in queries] == [False, True, True]
    assert sorted(commented(zendesk)) == ["101", "102", "103", "104", "105"]
    tickets = mirrored(zendesk_services)
    assert sorted(tickets) == [101, 102, 103, 104, 105]
    first = tickets[101]
    assert (first.subject, first.status, first.priority) == ("Ticket 101", "open", "normal")
    assert (first.requester_id, first.assignee_id, first.organization_id) == (CLIENT, ALICE, 50)
    assert first.last_agent_public_reply_at == MON + timedelta(hours=2)
    assert first.last_agent_public_reply_by == BOB
    assert first.last_requester_comment_at == MON + timedelta(hours=6)
    assert tickets[102].last_agent_public_reply_at is None
    with zendesk_services.session() as session:
        people = {u.id: (u.name, u.role) for u in session.exec(select(ZendeskUser))}
        orgs = [o.name for o in session.exec(select(ZendeskOrganization))]
        state = session.get(SyncState, "tickets")
    assert people == {
        CLIENT: ("Carol Client", "end-user"),
        ALICE: ("Alice Agent", "agent"),
        BOB: ("Bob Admin", "admin"),
    }
    assert orgs == ["Acme Ltd"]
    assert state is not None and state.cursor and state.last_error is None


def test_second_sync_picks_up_only_the_changes(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(zendesk_services)
    clock.advance(minutes=10)
    zendesk.update_ticket(103, status="pending", updated_at=clock() - timedelta(minutes=5))
    zendesk.add_comment(
        103, author_id=ALICE, body="Fixed?", created_at=clock() - timedelta(minutes=5)
    )
    zendesk.clear()
    report = run(zendesk_services)
    assert report.summary == "mirrored 1 ticket from 1 page; up to date."
    assert ["start_time" in q for q in export_queries(zendesk)] == [False]
    assert commented(zendesk) == ["103"]
    ticket = mirrored(zendesk_services)[103]
    assert ticket.status == "pending"
    assert ticket.last_agent_public_reply_at == clock() - timedelta(minutes=5)
    zendesk.clear()
    assert run(zendesk_services).summary == "mirrored 0 tickets from 1 page; up to date."
    assert commented(zendesk) == []


def test_a_rate_limit_mid_sync_is_waited_out(
    zendesk_services: Services, zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    zendesk.fail("/api/v2/tickets/103/comments.json", status=429, retry_after=30)
    report = run(zendesk_services)
    assert report.summary == "mirrored 5 tickets from 3 pages; up to date."
    assert zendesk_waits == [30.0]
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]


def test_zendesk_failing_between_pages_keeps_the_pages_done_and_resumes(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    zendesk.fail("/api/v2/tickets/103/comments.json", status=500, times=4)
    report = run(zendesk_services)
    assert report.problems == ["Zendesk is not answering (HTTP 500); try again in a few minutes"]
    assert report.summary.startswith("mirrored 2 tickets from 1 page, then stopped")
    assert sorted(mirrored(zendesk_services)) == [101, 102]
    with zendesk_services.session() as session:
        state = session.get(SyncState, "tickets")
    assert state is not None and state.last_error == report.problems[0]
    zendesk.clear()
    resumed = run(zendesk_services)
    assert resumed.problems == []
    assert ["cursor" in q for q in export_queries(zendesk)] == [True, True]
    assert sorted(commented(zendesk)) == ["103", "104", "105"]
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]


def test_a_crash_between_pages_loses_nothing_and_doubles_nothing(
    zendesk_services: Services, zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store = sync.store_read_in_transaction
    calls: list[int] = []

    def dies_on_the_second_page(
        services: Services, read: ZendeskRead, *, now: datetime, also: Any = None
    ) -> list[Ticket]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return real_store(services, read, now=now, also=also)

    monkeypatch.setattr(sync, "store_read_in_transaction", dies_on_the_second_page)
    with pytest.raises(RuntimeError):
        run(zendesk_services)
    assert sorted(mirrored(zendesk_services)) == [101, 102]
    monkeypatch.setattr(sync, "store_read_in_transaction", real_store)
    zendesk.clear()
    assert run(zendesk_services).summary == "mirrored 3 tickets from 2 pages; up to date."
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]


def test_closed_tickets_leave_the_working_set(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    zendesk.update_ticket(102, status="closed", updated_at=MON + timedelta(days=1))
    zendesk.update_ticket(104, status="solved", updated_at=MON + timedelta(days=1))
    run(zendesk_services)
    with zendesk_services.session() as session:
        assert [t.id for t in open_tickets(session=session)] == [101, 103, 105]
        closed = ticket_by_id(session=session, ticket_id=102)
    assert closed is not None and closed.status == "closed"


def test_a_priority_change_keeps_the_previous_priority(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(zendesk_services)
    clock.advance(minutes=10)
    zendesk.update_ticket(101, priority="urgent", updated_at=clock() - timedelta(minutes=5))
    run(zendesk_services)
    ticket = mirrored(zendesk_services)[101]
    assert (ticket.priority, ticket.previous_priority) == ("urgent", "normal")


def test_an_agent_token_syncs_through_search_and_is_told_it_needs_an_admin(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    zendesk.set_me_role("agent")
    report = run(zendesk_services)
    assert report.problems == []
    assert report.summary == (
        "mirrored 5 tickets from 1 page through the Search API, because the incremental export "
        "needs an admin's API token (set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for "
        "a faster, complete sync); up to date."
    )
    (search,) = zendesk.requests_to("/api/v2/search.json")
    assert search.query["query"] == "type:ticket updated>2026-11-02T10:00:00Z"
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    assert mirrored(zendesk_services)[101].last_requester_comment_at == MON + timedelta(hours=6)

    clock.advance(minutes=10)
    zendesk.update_ticket(104, status="hold", updated_at=clock() - timedelta(minutes=1))
    zendesk.clear()
    report = run(zendesk_services)
    assert report.summary.startswith("mirrored 2 tickets from 1 page through the Search API")
    (search,) = zendesk.requests_to("/api/v2/search.json")
    assert search.query["query"] == "type:ticket updated>2026-11-30T12:59:59Z"
    assert commented(zendesk) == ["104"]
    assert mirrored(zendesk_services)[104].status == "hold"


def test_dry_run_reads_and_writes_nothing(zendesk_services: Services, zendesk: FakeZendesk) -> None:
    report = run_job(zendesk_services, sync.JOB, now=zendesk_services.now(), dry_run=True)
    assert report.summary == (
        "dry run: would export ticket changes since Mon 2 Nov, 10:00 GMT; wrote nothing."
    )
    assert zendesk.requests == []
    assert mirrored(zendesk_services) == {}


def test_without_zendesk_it_says_so(services: Services) -> None:
    report = run(services)
    assert report.summary == sync.NOT_CONFIGURED
    assert report.problems == []


def test_rotabot_jobs_run_sync(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    fake_zendesk: FakeZendesk,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rotabot.db'}")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for name in ("ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["jobs", "run", "sync"]) == 0
    assert f"sync: {sync.NOT_CONFIGURED}" in capsys.readouterr().out

    seed(fake_zendesk)
    monkeypatch.setenv("ZENDESK_URL", fake_zendesk.url)
    monkeypatch.setenv("ZENDESK_EMAIL", fake_zendesk.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", fake_zendesk.token)
    assert main(["jobs", "run", "sync"]) == 0
    assert "sync: mirrored 5 tickets from 1 page; up to date." in capsys.readouterr().out


def test_the_look_back_is_a_setting() -> None:
    assert parse_settings({}).sync_lookback_days == 30
    assert parse_settings({"ROTABOT_SYNC_LOOKBACK_DAYS": "7"}).sync_lookback_days == 7
    for wrong in ("0", "-3", "a week"):
        with pytest.raises(ConfigError) as raised:
            parse_settings({"ROTABOT_SYNC_LOOKBACK_DAYS": wrong})
        assert str(raised.value) == (
            "ROTABOT_SYNC_LOOKBACK_DAYS must be a whole number of days (1 or more) for the first "
            f"Zendesk sync to reach back, not {wrong!r}."
        )


def test_wrong_credentials_stop_the_sync_with_the_fix(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    zendesk.token = "revoked"
    report = run(zendesk_services)
    assert report.problems == [
        "Zendesk refused Rotabot's credentials (401): check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    ]
    assert zendesk.requests_to("/api/v2/search.json") == []
    assert mirrored(zendesk_services) == {}


def test_a_change_made_through_rotabot_has_its_comments_read_at_the_next_sync(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(zendesk_services)
    clock.advance(minutes=10)
    zendesk.add_comment(102, author_id=CLIENT, body="Still broken", created_at=clock())
    zendesk.update_ticket(102, updated_at=clock())
    change_priority(zendesk_services, 102, "urgent", slack_user="U1")
    clock.advance(minutes=2)
    zendesk.clear()
    run(zendesk_services)
    assert commented(zendesk) == ["102"]
    assert mirrored(zendesk_services)[102].last_requester_comment_at == clock() - timedelta(
        minutes=2
    )


def test_a_big_batch_is_shared_with_a_worker_process(
    zendesk_services: Services, zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a first sync does with a page of a thousand tickets, on a page of two: a spawned
    worker process reads some of the comments over HTTP, this process the rest."""
    monkeypatch.setattr(comment_readers, "PROCESS_BATCH", 2)
    monkeypatch.setattr(comment_readers, "CHUNK", 1)
    monkeypatch.setattr(comment_readers, "worker_processes", lambda: 1)
    sent: list[Any] = []

    class Counted(ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            sent.append(args)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(comment_readers, "ProcessPoolExecutor", Counted)
    zendesk.add_comment(104, author_id=ALICE, body="On it", created_at=MON + timedelta(hours=4))
    report = run(zendesk_services)
    assert report.summary == "mirrored 5 tickets from 3 pages; up to date."
    assert sorted(commented(zendesk)) == ["101", "102", "103", "104", "105"]
    tickets = mirrored(zendesk_services)
    assert tickets[101].last_agent_public_reply_by == BOB
    assert tickets[101].last_requester_comment_at == MON + timedelta(hours=6)
    assert tickets[104].last_agent_public_reply_by == ALICE
    assert tickets[102].last_comment_id == 0
    assert sent  # the worker process read some of them


def test_zendesk_errors_survive_the_trip_from_a_worker_process() -> None:
    for error in (ZendeskUnavailable("Zendesk is not answering"), ZendeskNotFound("gone")):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
