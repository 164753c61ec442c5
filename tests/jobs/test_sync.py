"""The `sync` job against the fake Zendesk over HTTP: pages, changes, rate limits, crashes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from bot.jobs import sync
from bot.jobs.base import JobContext, JobReport
from bot.jobs.runner import run_job
from bot.services import Services
from bot.settings import ConfigError, parse_settings
from bot.store.promises import Promise
from bot.store.tickets import SyncState, Ticket, open_tickets, ticket_by_id
from bot.store.zendesk_people import ZendeskOrganization, ZendeskUser
from bot.tickets.priority import change_priority
from bot.zendesk.client import ZendeskClient
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk, _ApiError

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


def event_queries(fake: FakeZendesk) -> list[dict[str, str]]:
    return [r.query for r in fake.requests_to("/api/v2/incremental/ticket_events.json")]


def commented(fake: FakeZendesk) -> list[str]:
    """Tickets whose comments were read one by one."""
    return [r.path.split("/")[4] for r in fake.requests_to("/api/v2/tickets/")]


def promises(services: Services) -> list[Promise]:
    with services.session() as session:
        return list(session.exec(select(Promise)))


def with_settings(
    services: Services, sleep: Callable[[float], None], clock: MutableClock, **changes: Any
) -> None:
    """New settings, and a Zendesk client (and limiter) made from them."""
    services.settings = replace(services.settings, **changes)
    if services.zendesk is not None:
        services.zendesk.close()
    services.zendesk = ZendeskClient.from_settings(
        services.settings, sleep=sleep, clock=lambda: clock().timestamp()
    )


@pytest.fixture
def zendesk(
    zendesk_services: Services,
    fake_zendesk: FakeZendesk,
    zendesk_sleep: Callable[[float], None],
    clock: MutableClock,
) -> FakeZendesk:
    """The seeded fake, read two records a page so that every export takes several."""
    seed(fake_zendesk)
    with_settings(zendesk_services, zendesk_sleep, clock, zendesk_page_size=2)
    return fake_zendesk


def test_first_sync_reads_in_bulk_and_never_per_ticket(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    report = run(zendesk_services)

    assert report.problems == []
    assert report.summary.startswith("mirrored 5 tickets and ")
    assert report.summary.endswith("; up to date.")
    queries = export_queries(zendesk)
    thirty_days_ago = int((zendesk_services.now() - timedelta(days=30)).timestamp())
    assert queries[0]["start_time"] == str(thirty_days_ago)
    assert queries[0]["include"] == "users,organizations,metric_sets"
    assert ["cursor" in q for q in queries] == [False, True, True]
    events = event_queries(zendesk)
    assert events[0] == {
        "start_time": str(thirty_days_ago),
        "include": "comment_events",
        "per_page": "2",
    }
    assert commented(zendesk) == []
    assert zendesk.limits.refused == 0
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
        events_state = session.get(SyncState, "ticket-events")
    assert people == {
        CLIENT: ("Carol Client", "end-user"),
        ALICE: ("Alice Agent", "agent"),
        BOB: ("Bob Admin", "admin"),
    }
    assert orgs == ["Acme Ltd"]
    assert state is not None and state.cursor and state.last_error is None
    assert events_state is not None
    assert events_state.cursor == str(int((MON + timedelta(hours=6)).timestamp()))


def test_an_incremental_sync_of_changes_costs_two_requests(
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

    # The events of the second the last run ended on come again (harmlessly): 2 comments.
    assert report.summary == "mirrored 1 ticket and 2 comments from 2 pages; up to date."
    assert [r.path for r in zendesk.requests] == [
        "/api/v2/incremental/tickets/cursor.json",
        "/api/v2/incremental/ticket_events.json",
    ]
    ticket = mirrored(zendesk_services)[103]
    assert ticket.status == "pending"
    assert ticket.last_agent_public_reply_at == clock() - timedelta(minutes=5)
    zendesk.clear()
    assert run(zendesk_services).summary.startswith("mirrored 0 tickets")
    assert commented(zendesk) == []


def test_a_429_of_two_minutes_pauses_every_caller_and_the_sync_carries_on(
    zendesk_services: Services, zendesk: FakeZendesk, zendesk_waits: list[float]
) -> None:
    zendesk.fail("/api/v2/incremental/ticket_events.json", status=429, retry_after=120)

    report = run(zendesk_services)

    assert report.problems == []
    assert report.summary.endswith("up to date.")
    assert 120.0 in zendesk_waits
    # The limiter waited out the pause instead of asking again too soon.
    assert zendesk.limits.refused == 0
    assert mirrored(zendesk_services)[101].last_requester_comment_at == MON + timedelta(hours=6)


def test_a_sync_that_would_wait_past_its_next_run_stops_with_its_cursors_saved(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    zendesk.fail("/api/v2/incremental/ticket_events.json", status=429, retry_after=600)

    stopped = run(zendesk_services)

    assert stopped.problems == []
    assert "then stopped to stay within Zendesk's API budget" in stopped.summary
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    assert mirrored(zendesk_services)[101].last_comment_id is None  # no comments read yet
    clock.advance(minutes=10)
    zendesk.clear()
    resumed = run(zendesk_services)
    assert resumed.summary.endswith("up to date.")
    assert ["cursor" in q for q in export_queries(zendesk)] == [True]
    assert mirrored(zendesk_services)[101].last_requester_comment_at == MON + timedelta(hours=6)


def test_a_small_budget_spreads_a_first_sync_over_runs_and_loses_nothing(
    zendesk_services: Services,
    zendesk: FakeZendesk,
    clock: MutableClock,
    zendesk_sleep: Callable[[float], None],
) -> None:
    with_settings(
        zendesk_services, zendesk_sleep, clock, zendesk_page_size=2, zendesk_exports_per_minute=1
    )
    reports = []
    for _ in range(6):
        reports.append(run(zendesk_services))
        if reports[-1].summary.endswith("up to date."):
            break
        clock.set(sync.next_run(JobContext(zendesk_services, now=clock())))

    assert len(reports) > 1
    assert "stopped to stay within Zendesk's API budget" in reports[0].summary
    assert reports[-1].summary.endswith("up to date.")
    assert zendesk.limits.refused == 0
    minutes = [int(r.query.get("start_time", "0")) for r in zendesk.requests]
    assert len(minutes) == len(zendesk.requests)
    tickets = mirrored(zendesk_services)
    assert sorted(tickets) == [101, 102, 103, 104, 105]
    assert tickets[101].last_requester_comment_at == MON + timedelta(hours=6)


def test_a_504_halves_the_page_for_the_rest_of_the_run(
    zendesk_services: Services,
    zendesk: FakeZendesk,
    clock: MutableClock,
    zendesk_sleep: Callable[[float], None],
) -> None:
    with_settings(zendesk_services, zendesk_sleep, clock, zendesk_page_size=40)
    zendesk.time_out_pages_over(20)

    report = run(zendesk_services)

    assert report.problems == []
    sizes = [r.query["per_page"] for r in zendesk.requests if "per_page" in r.query]
    assert sizes == ["40", "20", "20"]
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    zendesk.time_out_pages_over(None)
    zendesk.clear()
    run(zendesk_services)
    assert [r.query["per_page"] for r in zendesk.requests] == ["40", "40"]


def test_zendesk_down_mid_run_keeps_the_pages_done_and_resumes(
    zendesk_services: Services, zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = {"served": 0}
    serve = zendesk._export_tickets

    def down_after_the_first_page(query: dict[str, str]) -> Any:
        pages["served"] += 1
        if 2 <= pages["served"] <= 5:  # the first try and the three retries of page two
            raise _ApiError(503, "ServiceUnavailable", "Down for maintenance")
        return serve(query)

    monkeypatch.setattr(zendesk, "_export_tickets", down_after_the_first_page)
    report = run(zendesk_services)
    assert report.problems == ["Zendesk is not answering (HTTP 503); try again in a few minutes"]
    assert report.summary.startswith("mirrored 2 tickets and 0 comments from 1 page, then stopped")
    assert sorted(mirrored(zendesk_services)) == [101, 102]
    with zendesk_services.session() as session:
        state = session.get(SyncState, "tickets")
    assert state is not None and state.last_error == report.problems[0]
    zendesk.clear()
    resumed = run(zendesk_services)
    assert resumed.problems == []
    assert ["cursor" in q for q in export_queries(zendesk)] == [True, True]
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    assert mirrored(zendesk_services)[101].last_requester_comment_at == MON + timedelta(hours=6)


def test_a_crash_between_pages_loses_nothing_and_doubles_nothing(
    zendesk_services: Services,
    zendesk: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
    clock: MutableClock,
    fake_slack: FakeSlack,
) -> None:
    fake_slack.add_user("UA", name="alice", email="alice@team.test")
    zendesk.add_comment(
        101,
        author_id=ALICE,
        body="I'll update you tomorrow.",
        created_at=clock() - timedelta(hours=1),
    )
    real_write = sync.write_read
    calls: list[int] = []

    def dies_on_the_fifth_page(*, session: Any, read: Any, now: datetime) -> list[int]:
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("the worker was killed")
        return real_write(session=session, read=read, now=now)

    monkeypatch.setattr(sync, "write_read", dies_on_the_fifth_page)
    with pytest.raises(RuntimeError):
        run(zendesk_services)
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    monkeypatch.setattr(sync, "write_read", real_write)
    run(zendesk_services)
    run(zendesk_services)
    assert mirrored(zendesk_services)[101].last_agent_public_reply_by == ALICE
    assert [p.comment_id for p in promises(zendesk_services)] == [zendesk.comments(101)[-1]["id"]]


def test_comments_before_their_ticket_wait_for_it(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(zendesk_services)
    clock.advance(minutes=10)
    zendesk.add_ticket(
        106, subject="New", requester_id=CLIENT, created_at=clock() - timedelta(minutes=3)
    )
    zendesk.add_comment(
        106, author_id=CLIENT, body="Help", created_at=clock() - timedelta(minutes=3)
    )
    # Updated again within the last minute: the ticket export leaves it for the next run,
    # the events export already has its comment.
    zendesk.update_ticket(106, priority="high", updated_at=clock() - timedelta(seconds=20))
    run(zendesk_services)
    assert 106 not in mirrored(zendesk_services)

    clock.advance(minutes=5)
    run(zendesk_services)
    ticket = mirrored(zendesk_services)[106]
    assert ticket.last_requester_comment_at == clock() - timedelta(minutes=8)
    assert ticket.priority == "high"


def test_a_comment_by_someone_the_mirror_does_not_know_is_looked_up(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    zendesk.add_user(70, name="Dana Helper", email="dana@team.test", role="agent")
    zendesk.add_comment(102, author_id=70, body="Checking", created_at=MON + timedelta(hours=3))
    zendesk.add_comment(102, author_id=4040, body="Ghost", created_at=MON + timedelta(hours=4))

    report = run(zendesk_services)

    assert report.problems == []
    lookups = zendesk.requests_to("/api/v2/users/show_many.json")
    # Bob (who only commented), Dana, and a user Zendesk no longer has: asked, then ignored.
    assert {r.query["ids"] for r in lookups} == {"8", "70", "4040"}
    ticket = mirrored(zendesk_services)[102]
    assert (ticket.last_agent_public_reply_by, ticket.last_agent_public_reply_at) == (
        70,
        MON + timedelta(hours=3),
    )


def test_deleted_and_merged_tickets_leave_the_mirror_and_their_promises_every_list(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("UA", name="alice", email="alice@team.test")
    zendesk.add_comment(
        102,
        author_id=ALICE,
        body="We'll get back to you tomorrow.",
        created_at=clock() - timedelta(hours=1),
    )
    run(zendesk_services)
    assert [p.ticket_id for p in promises(zendesk_services)] == [102]
    clock.advance(minutes=10)
    zendesk.delete_ticket(102)
    zendesk.merge_ticket(103, into=101)
    clock.advance(minutes=2)

    run(zendesk_services)

    assert sorted(mirrored(zendesk_services)) == [101, 104, 105]
    with zendesk_services.session() as session:
        assert [t.id for t in open_tickets(session=session)] == [101, 104, 105]
    assert [p.state for p in promises(zendesk_services)] == ["cancelled"]


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


def test_an_agent_token_syncs_through_the_export_search_and_is_told_it_needs_an_admin(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    zendesk.set_me_role("agent")
    report = run(zendesk_services)
    assert report.problems == []
    assert report.summary.endswith(
        "from 3 pages through the Search API, because the incremental export "
        "needs an admin's API token (set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for "
        "a faster, complete sync); up to date."
    )
    searches = zendesk.requests_to("/api/v2/search")
    assert {r.path for r in searches} == {"/api/v2/search/export"}
    assert searches[0].query["query"] == "type:ticket updated>2026-11-02T10:00:00Z"
    assert ["page[after]" in r.query for r in searches] == [False, True, True]
    assert sorted(commented(zendesk)) == ["101", "102", "103", "104", "105"]
    assert sorted(mirrored(zendesk_services)) == [101, 102, 103, 104, 105]
    assert mirrored(zendesk_services)[101].last_requester_comment_at == MON + timedelta(hours=6)
    assert zendesk.limits.refused == 0

    clock.advance(minutes=10)
    zendesk.update_ticket(104, status="hold", updated_at=clock() - timedelta(minutes=1))
    zendesk.clear()
    report = run(zendesk_services)
    assert report.summary.startswith("mirrored 2 tickets")
    (search,) = zendesk.requests_to("/api/v2/search")
    assert search.query["query"] == "type:ticket updated>2026-11-30T12:59:59Z"
    assert sorted(commented(zendesk)) == ["104", "105"]
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
    assert "sync: mirrored 5 tickets and 4 comments from 2 pages; up to date." in (
        capsys.readouterr().out
    )


def test_the_look_back_and_the_budgets_are_settings() -> None:
    assert parse_settings({}).sync_lookback_days == 30
    assert parse_settings({"ROTABOT_SYNC_LOOKBACK_DAYS": "7"}).sync_lookback_days == 7
    for wrong in ("0", "-3", "a week"):
        with pytest.raises(ConfigError) as raised:
            parse_settings({"ROTABOT_SYNC_LOOKBACK_DAYS": wrong})
        assert str(raised.value) == (
            "ROTABOT_SYNC_LOOKBACK_DAYS must be a whole number of days (1 or more) for the first "
            f"Zendesk sync to reach back, not {wrong!r}."
        )
    defaults = parse_settings({})
    assert (
        defaults.zendesk_requests_per_minute,
        defaults.zendesk_exports_per_minute,
        defaults.zendesk_page_size,
    ) == (100, 10, 1000)
    chosen = parse_settings(
        {"ROTABOT_ZENDESK_REQUESTS_PER_MINUTE": "350", "ROTABOT_ZENDESK_EXPORTS_PER_MINUTE": "30"}
    )
    assert (chosen.zendesk_requests_per_minute, chosen.zendesk_exports_per_minute) == (350, 30)
    with pytest.raises(ConfigError, match="ROTABOT_ZENDESK_REQUESTS_PER_MINUTE is how many"):
        parse_settings({"ROTABOT_ZENDESK_REQUESTS_PER_MINUTE": "lots"})
    with pytest.raises(ConfigError, match="at most 1000"):
        parse_settings({"ROTABOT_ZENDESK_PAGE_SIZE": "5000"})


def test_wrong_credentials_stop_the_sync_with_the_fix(
    zendesk_services: Services, zendesk: FakeZendesk
) -> None:
    zendesk.token = "revoked"
    report = run(zendesk_services)
    assert report.problems == [
        "Zendesk refused Rotabot's credentials (401): check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    ]
    assert zendesk.requests_to("/api/v2/search") == []
    assert mirrored(zendesk_services) == {}


def test_a_change_made_through_rotabot_keeps_its_comments_summary(
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
    assert commented(zendesk) == []
    assert mirrored(zendesk_services)[102].last_requester_comment_at == clock() - timedelta(
        minutes=2
    )


def test_changes_in_the_last_minute_come_at_the_next_run(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    run(zendesk_services)
    clock.advance(minutes=10)
    recent = clock() - timedelta(seconds=30)
    zendesk.update_ticket(105, status="hold", updated_at=recent)
    zendesk.add_comment(105, author_id=CLIENT, body="Hello?", created_at=recent)

    run(zendesk_services)
    before = mirrored(zendesk_services)[105]
    clock.advance(minutes=5)
    run(zendesk_services)
    after = mirrored(zendesk_services)[105]

    assert (before.status, before.last_requester_comment_at) == ("open", None)
    assert (after.status, after.last_requester_comment_at) == ("hold", recent)


def test_comments_older_than_the_look_back_come_from_the_ticket_metrics(
    zendesk_services: Services, zendesk: FakeZendesk, clock: MutableClock
) -> None:
    long_ago = clock() - timedelta(days=40)
    zendesk.add_ticket(106, subject="Old", requester_id=CLIENT, created_at=long_ago)
    zendesk.add_comment(106, author_id=CLIENT, body="Still there?", created_at=long_ago)
    zendesk.update_ticket(106, status="pending", updated_at=clock() - timedelta(days=1))

    run(zendesk_services)

    old = mirrored(zendesk_services)[106]
    assert (old.last_requester_comment_at, old.last_comment_id) == (long_ago, None)
    # Within the look-back the events say exactly what happened, metrics or not.
    assert mirrored(zendesk_services)[102].last_requester_comment_at is None
