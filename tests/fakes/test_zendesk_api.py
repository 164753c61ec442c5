"""The fake Zendesk behaves like the real API where Rotabot depends on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.fakes.zendesk_api import FakeZendesk, ZendeskRequest, ZendeskWrite

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
EXPORT = "/api/v2/incremental/tickets/cursor.json"
AUTH = ("bot@example.com/token", "zd-token")


class Clock:
    """The fake's clock, moved by hand so no test waits on real time."""

    def __init__(self) -> None:
        self.current = NOW

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeZendesk]:
    with FakeZendesk(now=clock) as running:
        yield running


@pytest.fixture
def client(fake: FakeZendesk) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, auth=AUTH) as http:
        yield http


def add_people(fake: FakeZendesk) -> None:
    fake.add_organization(50, name="Acme")
    fake.add_organization(51, name="Globex")
    fake.add_user(1, name="Ada Agent", email="ada@example.com", role="agent")
    fake.add_user(
        2, name="Carl Customer", email="carl@acme.test", role="end-user", organization_id=50
    )
    fake.add_user(
        3, name="Gina Globex", email="gina@globex.test", role="end-user", organization_id=51
    )


def add_tickets(fake: FakeZendesk, count: int) -> None:
    """Tickets updated an hour ago and onwards, one minute apart, ids deliberately out of order."""
    add_people(fake)
    for index in range(count):
        fake.add_ticket(
            100 - index,
            subject=f"Ticket {index}",
            requester_id=2,
            created_at=NOW - timedelta(days=1),
            updated_at=NOW - timedelta(hours=1) + timedelta(minutes=index),
        )


def export_all(client: httpx.Client, first: httpx.Response) -> list[dict[str, Any]]:
    """Follows after_url until end_of_stream, returning every page's body."""
    pages = [first.json()]
    while not pages[-1]["end_of_stream"]:
        response = client.get(pages[-1]["after_url"])
        assert response.status_code == 200
        pages.append(response.json())
    return pages


def test_wrong_or_missing_credentials_are_refused(fake: FakeZendesk) -> None:
    attempts: list[Any] = [
        ("bot@example.com/token", "wrong"),
        ("bot@example.com", "zd-token"),
        None,
    ]
    for auth in attempts:
        with httpx.Client(base_url=fake.url, auth=auth) as http:
            response = http.get("/api/v2/users/me.json")
        assert response.status_code == 401
        assert response.json() == {"error": "Couldn't authenticate you"}


def test_me_is_the_api_user_and_an_admin(client: httpx.Client) -> None:
    me = client.get("/api/v2/users/me.json").json()["user"]

    assert (me["id"], me["email"], me["role"]) == (9000, "bot@example.com", "admin")


def test_cursor_export_pages_through_every_ticket_once(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    fake.page_size = 2
    add_tickets(fake, 5)

    first = client.get(EXPORT, params={"start_time": int((NOW - timedelta(days=2)).timestamp())})
    pages = export_all(client, first)

    assert [len(page["tickets"]) for page in pages] == [2, 2, 1]
    assert [page["end_of_stream"] for page in pages] == [False, False, True]
    ids = [ticket["id"] for page in pages for ticket in page["tickets"]]
    assert ids == [100, 99, 98, 97, 96]
    assert all(page["before_cursor"] is None for page in pages)
    assert pages[0]["tickets"][0]["updated_at"] == "2026-11-27T08:30:00Z"


def test_start_time_includes_tickets_updated_exactly_then(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_tickets(fake, 3)
    start = int((NOW - timedelta(hours=1) + timedelta(minutes=1)).timestamp())

    body = client.get(EXPORT, params={"start_time": start}).json()

    assert [ticket["id"] for ticket in body["tickets"]] == [99, 98]


def test_resuming_from_the_last_cursor_returns_only_what_changed(
    fake: FakeZendesk, client: httpx.Client, clock: Clock
) -> None:
    fake.page_size = 2
    add_tickets(fake, 5)
    pages = export_all(client, client.get(EXPORT, params={"start_time": 0}))
    cursor = pages[-1]["after_cursor"]

    fake.update_ticket(98, status="pending")
    clock.advance(seconds=61)
    again = client.get(EXPORT, params={"cursor": cursor}).json()

    assert [(t["id"], t["status"]) for t in again["tickets"]] == [(98, "pending")]
    assert again["end_of_stream"] is True
    quiet = client.get(EXPORT, params={"cursor": again["after_cursor"]}).json()
    assert quiet["tickets"] == []
    assert quiet["end_of_stream"] is True


def test_changes_from_the_last_minute_wait_for_a_later_export(
    fake: FakeZendesk, client: httpx.Client, clock: Clock
) -> None:
    add_people(fake)
    fake.add_ticket(7, subject="Fresh", requester_id=2, updated_at=NOW - timedelta(seconds=59))

    early = client.get(EXPORT, params={"start_time": 0}).json()
    clock.advance(seconds=1)
    later = client.get(EXPORT, params={"cursor": early["after_cursor"]}).json()

    assert early["tickets"] == []
    assert early["end_of_stream"] is True
    assert [ticket["id"] for ticket in later["tickets"]] == [7]


def test_export_sideloads_users_and_organizations(fake: FakeZendesk, client: httpx.Client) -> None:
    add_people(fake)
    old = NOW - timedelta(hours=2)
    fake.add_ticket(
        1, subject="A", requester_id=2, assignee_id=1, organization_id=50, updated_at=old
    )
    fake.add_ticket(2, subject="B", requester_id=3, organization_id=51, updated_at=old)

    body = client.get(EXPORT, params={"start_time": 0, "include": "users,organizations"}).json()

    assert [user["id"] for user in body["users"]] == [1, 2, 3]
    assert body["users"][1]["organization_id"] == 50
    assert [(org["id"], org["name"]) for org in body["organizations"]] == [
        (50, "Acme"),
        (51, "Globex"),
    ]
    plain = client.get(EXPORT, params={"start_time": 0}).json()
    assert "users" not in plain
    assert "organizations" not in plain


def test_export_ticket_shape(fake: FakeZendesk, client: httpx.Client) -> None:
    add_people(fake)
    fake.add_ticket(
        5,
        subject="Printer on fire",
        requester_id=2,
        priority="urgent",
        tags=("hardware", "vip"),
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(hours=1),
    )
    fake.add_comment(5, author_id=2, body="It is on fire.", created_at=NOW - timedelta(days=1))

    ticket = client.get(EXPORT, params={"start_time": 0}).json()["tickets"][0]

    assert ticket["url"] == f"{fake.url}/api/v2/tickets/5.json"
    assert ticket["subject"] == "Printer on fire"
    assert ticket["description"] == "It is on fire."
    assert (ticket["status"], ticket["priority"], ticket["type"]) == ("open", "urgent", None)
    assert (ticket["requester_id"], ticket["submitter_id"], ticket["assignee_id"]) == (2, 2, None)
    assert ticket["tags"] == ["hardware", "vip"]
    assert ticket["created_at"] == "2026-11-26T09:30:00Z"
    assert ticket["updated_at"] == "2026-11-27T08:30:00Z"
    assert ticket["generated_timestamp"] == int((NOW - timedelta(hours=1)).timestamp())
    assert ticket["via"]["channel"] == "web"


def test_export_needs_an_admin(fake: FakeZendesk, client: httpx.Client) -> None:
    fake.set_me_role("agent")

    response = client.get(EXPORT, params={"start_time": 0})

    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden"}


def test_export_rejects_a_forged_cursor_and_a_missing_start(client: httpx.Client) -> None:
    assert client.get(EXPORT, params={"cursor": "not a cursor!"}).status_code == 400
    assert client.get(EXPORT).status_code == 400


def test_show_many_returns_the_known_records(fake: FakeZendesk, client: httpx.Client) -> None:
    add_people(fake)

    users = client.get("/api/v2/users/show_many.json", params={"ids": "3,1,404"}).json()
    orgs = client.get("/api/v2/organizations/show_many.json", params={"ids": "51"}).json()

    assert [(u["id"], u["name"], u["role"]) for u in users["users"]] == [
        (3, "Gina Globex", "end-user"),
        (1, "Ada Agent", "agent"),
    ]
    assert orgs == {
        "organizations": [
            {"id": 51, "url": f"{fake.url}/api/v2/organizations/51.json", "name": "Globex"}
        ]
    }


def test_comments_are_paginated_oldest_first(fake: FakeZendesk, client: httpx.Client) -> None:
    add_tickets(fake, 1)
    for minute in range(5):
        fake.add_comment(
            100,
            author_id=2 if minute % 2 == 0 else 1,
            body=f"Comment {minute} <b>",
            public=minute != 3,
            created_at=NOW - timedelta(minutes=10 - minute),
        )

    first = client.get("/api/v2/tickets/100/comments.json", params={"per_page": 2}).json()
    bodies = [c["body"] for c in first["comments"]]
    url = first["next_page"]
    while url is not None:
        page = client.get(url).json()
        bodies += [c["body"] for c in page["comments"]]
        url = page["next_page"]

    assert bodies == [f"Comment {minute} <b>" for minute in range(5)]
    assert first["count"] == 5
    assert first["previous_page"] is None
    comment = first["comments"][0]
    assert comment["type"] == "Comment"
    assert (comment["id"], comment["author_id"], comment["public"]) == (1, 2, True)
    assert comment["plain_body"] == "Comment 0 <b>"
    assert "Comment 0 &lt;b&gt;" in comment["html_body"]
    assert comment["created_at"] == "2026-11-27T09:20:00Z"
    everything = client.get("/api/v2/tickets/100/comments.json").json()
    assert (len(everything["comments"]), everything["next_page"]) == (5, None)
    assert [c["public"] for c in everything["comments"]] == [True, True, True, False, True]


def test_ticket_show_and_not_found(fake: FakeZendesk, client: httpx.Client) -> None:
    add_tickets(fake, 1)

    found = client.get("/api/v2/tickets/100.json")
    missing = client.get("/api/v2/tickets/404.json")

    assert found.json()["ticket"]["subject"] == "Ticket 0"
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert client.get("/api/v2/tickets/404/comments.json").status_code == 404


def test_update_applies_fields_records_the_write_and_adds_an_internal_note(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_tickets(fake, 1)
    body = {
        "ticket": {
            "priority": "high",
            "assignee_id": 1,
            "comment": {"body": "Escalated by Rotabot.", "public": False},
        }
    }

    response = client.put("/api/v2/tickets/100.json", json=body)

    assert response.status_code == 200
    ticket = response.json()["ticket"]
    assert (ticket["priority"], ticket["assignee_id"]) == ("high", 1)
    assert ticket["updated_at"] == "2026-11-27T09:30:00Z"
    assert fake.writes == [ZendeskWrite(100, body)]
    note = fake.comments(100)[-1]
    assert (note["author_id"], note["body"], note["public"]) == (
        9000,
        "Escalated by Rotabot.",
        False,
    )
    assert client.get("/api/v2/tickets/100/comments.json").json()["count"] == 1


def test_invalid_updates_are_rejected_and_not_recorded(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_tickets(fake, 2)
    fake.update_ticket(99, status="closed")

    bad_priority = client.put("/api/v2/tickets/100.json", json={"ticket": {"priority": "asap"}})
    customer = client.put("/api/v2/tickets/100.json", json={"ticket": {"assignee_id": 2}})
    closed = client.put("/api/v2/tickets/99.json", json={"ticket": {"priority": "low"}})

    assert [r.status_code for r in (bad_priority, customer, closed)] == [422, 422, 422]
    assert bad_priority.json()["error"] == "RecordInvalid"
    assert fake.writes == []
    assert fake.ticket(100)["priority"] == "normal"


def test_an_injected_429_refuses_everyone_until_its_retry_after(
    fake: FakeZendesk, client: httpx.Client, clock: Clock
) -> None:
    fake.fail("/api/v2/incremental/", status=429, times=1, retry_after=7)

    first = client.get(EXPORT, params={"start_time": 0})
    during = client.get("/api/v2/users/me.json")
    clock.advance(seconds=3)
    later = client.get("/api/v2/users/me.json")
    clock.advance(seconds=4)
    after = client.get(EXPORT, params={"start_time": 0})

    assert [a.status_code for a in (first, during, after)] == [429, 429, 200]
    assert first.headers["Retry-After"] == "7"
    assert first.json() == {"error": "Too Many Requests"}
    # Those refused meanwhile are told to wait until the spike's block ends, not the minute.
    assert (during.headers["Retry-After"], later.headers["Retry-After"]) == ("7", "4")
    assert len(fake.requests_to("/api/v2/incremental/")) == 2


def test_every_answer_carries_the_rate_limit_headers(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    answers = [client.get("/api/v2/users/me.json") for _ in range(3)]

    assert [a.headers["X-Rate-Limit"] for a in answers] == ["200"] * 3
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers] == ["199", "198", "197"]
    assert answers[-1].headers["ratelimit-remaining"] == "197"
    assert answers[-1].headers["ratelimit-reset"] == "60"  # NOW is on the minute


def test_the_team_plan_allows_200_a_minute_and_10_exports(
    fake: FakeZendesk, client: httpx.Client, clock: Clock
) -> None:
    exports = [client.get(EXPORT, params={"start_time": 0}).status_code for _ in range(11)]
    others = [client.get("/api/v2/users/me.json").status_code for _ in range(191)]

    assert exports == [200] * 10 + [429]
    assert others == [200] * 190 + [429]  # refused requests do not count
    refused = client.get("/api/v2/users/me.json")
    assert (refused.headers["Retry-After"], refused.headers["X-Rate-Limit-Remaining"]) == (
        "60",
        "0",
    )
    clock.advance(seconds=60)
    assert client.get(EXPORT, params={"start_time": 0}).status_code == 200
    assert fake.limits.refused == 3


def test_ticket_events_export_comments_with_end_time_and_repeats(
    fake: FakeZendesk, client: httpx.Client, clock: Clock
) -> None:
    add_people(fake)
    fake.add_ticket(7, subject="One", requester_id=2, created_at=NOW - timedelta(hours=2))
    for minute in range(3):
        fake.add_comment(
            7, author_id=2, body=f"c{minute}", created_at=NOW - timedelta(hours=1, minutes=-minute)
        )
    fake.add_comment(7, author_id=1, body="too recent", created_at=NOW - timedelta(seconds=30))
    url = "/api/v2/incremental/ticket_events.json"
    start = int((NOW - timedelta(hours=3)).timestamp())

    first = client.get(
        url, params={"start_time": start, "include": "comment_events", "per_page": 2}
    )
    body = first.json()
    pages = [body]
    while not pages[-1]["end_of_stream"]:
        pages.append(client.get(pages[-1]["next_page"]).json())
    bare = client.get(url, params={"start_time": start}).json()

    assert (body["count"], body["end_of_stream"]) == (2, False)
    assert body["end_time"] == int((NOW - timedelta(hours=1)).timestamp())
    comments = [
        child["body"]
        for page in pages
        for event in page["ticket_events"]
        for child in event["child_events"]
        if child["event_type"] == "Comment"
    ]
    assert comments == ["c0", "c0", "c1", "c1", "c2"]  # a page's last second comes again
    assert all(
        child["event_type"] != "Comment"
        for event in bare["ticket_events"]
        for child in event["child_events"]
    )
    too_soon = client.get(url, params={"start_time": int(NOW.timestamp())})
    assert too_soon.status_code == 400


def test_deleted_and_merged_tickets_in_the_export(fake: FakeZendesk, client: httpx.Client) -> None:
    add_tickets(fake, 3)
    fake.delete_ticket(100)
    fake.merge_ticket(99, into=98)
    fake.add_ticket(1, subject="late", requester_id=2, updated_at=NOW + timedelta(minutes=2))

    future = NOW + timedelta(minutes=5)
    fake._now = lambda: future
    body = client.get(EXPORT, params={"start_time": 0, "include": "metric_sets"}).json()

    by_id = {t["id"]: t for t in body["tickets"]}
    assert by_id[100]["status"] == "deleted"
    assert (by_id[99]["status"], "closed_by_merge" in by_id[99]["tags"]) == ("closed", True)
    assert {m["ticket_id"] for m in body["metric_sets"]} == set(by_id)
    assert client.get("/api/v2/tickets/100.json").status_code == 404
    many = client.get("/api/v2/tickets/show_many.json", params={"ids": "98,99,100"}).json()
    assert [t["id"] for t in many["tickets"]] == [98, 99]
    too_many = ",".join(str(n) for n in range(101))
    assert client.get("/api/v2/tickets/show_many.json", params={"ids": too_many}).status_code == 400


def test_search_stops_at_1000_results_and_search_export_pages_on(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_people(fake)
    for n in range(1, 1106):
        fake.add_ticket(n, subject="s", requester_id=2, updated_at=NOW - timedelta(seconds=n))
    query = "type:ticket updated>2026-11-01T00:00:00Z"

    tenth = client.get("/api/v2/search.json", params={"query": query, "page": 10}).json()
    eleventh = client.get("/api/v2/search.json", params={"query": query, "page": 11})
    seen: list[int] = []
    params = {"query": query, "filter[type]": "ticket", "page[size]": 500}
    while True:
        page = client.get("/api/v2/search/export", params=params).json()
        seen += [r["id"] for r in page["results"]]
        if not page["meta"]["has_more"]:
            break
        params["page[after]"] = page["meta"]["after_cursor"]

    assert (len(tenth["results"]), tenth["next_page"], tenth["count"]) == (100, None, 1105)
    assert eleventh.status_code == 422
    assert sorted(seen) == list(range(1, 1106))
    no_type = client.get("/api/v2/search/export", params={"query": query})
    assert no_type.status_code == 400


def test_big_export_pages_can_be_made_to_time_out(fake: FakeZendesk, client: httpx.Client) -> None:
    fake.time_out_pages_over(500)

    big = client.get(EXPORT, params={"start_time": 0, "per_page": 1000})
    small = client.get(EXPORT, params={"start_time": 0, "per_page": 500})

    assert (big.status_code, small.status_code) == (504, 200)


def test_faults_can_target_one_method_with_a_custom_body(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_tickets(fake, 1)
    fake.fail("/api/v2/tickets/100", status=503, method="put", body={"error": "Maintenance"})

    read = client.get("/api/v2/tickets/100.json")
    write = client.put("/api/v2/tickets/100.json", json={"ticket": {"status": "solved"}})
    retried = client.put("/api/v2/tickets/100.json", json={"ticket": {"status": "solved"}})

    assert (read.status_code, write.status_code, retried.status_code) == (200, 503, 200)
    assert write.json() == {"error": "Maintenance"}
    assert "Retry-After" not in write.headers
    assert len(fake.writes) == 1


def test_delay_waits_through_the_injected_sleep(clock: Clock) -> None:
    slept: list[float] = []
    with FakeZendesk(now=clock, sleep=slept.append) as fake:
        fake.delay("/api/v2/users/", 0.25)
        with httpx.Client(base_url=fake.url, auth=AUTH) as http:
            http.get("/api/v2/users/me.json")
            http.get("/api/v2/tickets/1.json")
            fake.delay("/api/v2/users/", 0)
            http.get("/api/v2/users/me.json")

    assert slept == [0.25]


def test_requests_are_recorded_and_cleared(fake: FakeZendesk, client: httpx.Client) -> None:
    add_tickets(fake, 1)
    client.get(EXPORT, params={"start_time": "0", "include": "users"})
    client.put("/api/v2/tickets/100.json", json={"ticket": {"status": "pending"}})

    assert fake.requests == [
        ZendeskRequest("GET", EXPORT, {"start_time": "0", "include": "users"}, None),
        ZendeskRequest("PUT", "/api/v2/tickets/100.json", {}, {"ticket": {"status": "pending"}}),
    ]
    assert [r.method for r in fake.requests_to("/api/v2/tickets/")] == ["PUT"]
    fake.clear()
    assert fake.requests == []
    assert fake.writes == []


def test_search_finds_tickets_updated_after_a_time(fake: FakeZendesk, client: httpx.Client) -> None:
    add_tickets(fake, 3)
    since = NOW - timedelta(hours=1) + timedelta(seconds=30)

    body = client.get(
        "/api/v2/search.json", params={"query": f"type:ticket updated>{since:%Y-%m-%dT%H:%M:%SZ}"}
    ).json()

    assert [r["id"] for r in body["results"]] == [99, 98]
    assert {r["result_type"] for r in body["results"]} == {"ticket"}
    assert (body["count"], body["next_page"]) == (2, None)
    unsupported = client.get("/api/v2/search.json", params={"query": "printer fire"})
    assert unsupported.status_code == 400


def test_unknown_paths_are_json_404s(client: httpx.Client) -> None:
    response = client.get("/api/v2/macros.json")

    assert response.status_code == 404
    assert response.json()["error"] == "InvalidEndpoint"


def test_naive_datetimes_are_refused(fake: FakeZendesk) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fake.add_ticket(1, subject="x", requester_id=2, updated_at=datetime(2026, 11, 27))


def test_users_are_found_by_exact_email_case_insensitively(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_people(fake)
    found = client.get("/api/v2/users/search.json", params={"query": "email:ADA@example.com"})
    assert [u["id"] for u in found.json()["users"]] == [1]
    assert found.json()["count"] == 1
    none = client.get("/api/v2/users/search.json", params={"query": "email:nobody@example.com"})
    assert none.json()["users"] == []
    assert client.get("/api/v2/users/search.json").status_code == 400


def test_groups_are_listed_in_pages(fake: FakeZendesk, client: httpx.Client) -> None:
    for group_id in range(1, 4):
        fake.add_group(group_id, name=f"Group {group_id}")
    first = client.get("/api/v2/groups.json", params={"per_page": 2}).json()
    assert [g["name"] for g in first["groups"]] == ["Group 1", "Group 2"]
    assert first["next_page"] is not None and first["count"] == 3
    last = client.get("/api/v2/groups.json", params={"per_page": 2, "page": 2}).json()
    assert [g["id"] for g in last["groups"]] == [3] and last["next_page"] is None


def test_tags_replace_add_and_remove_as_zendesk_does(
    fake: FakeZendesk, client: httpx.Client
) -> None:
    add_people(fake)
    fake.add_group(7, name="Client services")
    fake.add_group(8, name="Old", deleted=True)
    fake.add_ticket(10, subject="T", requester_id=2, assignee_id=1, tags=["web"])

    def put(changes: dict[str, Any]) -> httpx.Response:
        return client.put("/api/v2/tickets/10.json", json={"ticket": changes})

    assert put({"additional_tags": ["Chargeable", "web"]}).json()["ticket"]["tags"] == [
        "web",
        "chargeable",
    ]
    assert put({"remove_tags": "web"}).json()["ticket"]["tags"] == ["chargeable"]
    assert put({"tags": ["a", "b"]}).json()["ticket"]["tags"] == ["a", "b"]
    moved = put({"group_id": 7, "assignee_id": None}).json()["ticket"]
    assert (moved["group_id"], moved["assignee_id"]) == (7, None)
    for refused in ({"group_id": 8}, {"group_id": 99}, {"assignee_id": 2}, {"tags": 5}):
        response = put(refused)
        assert response.status_code == 422, refused
        assert response.json()["error"] == "RecordInvalid"
    assert fake.ticket(10)["tags"] == ["a", "b"] and fake.ticket(10)["group_id"] == 7
