"""The mirror's rows from Zendesk's JSON, and who said what last on a ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.zendesk.activity import changes_for_figures, time_spent
from bot.zendesk.comments import (
    CLIENT_COMMENT_LIMIT,
    CommentSummary,
    merge_summary,
    summarize_comments,
    summary_row,
)
from bot.zendesk.events import comments_by_ticket
from bot.zendesk.mirror import is_gone, ticket_row, user_row
from bot.zendesk.values import parse_zendesk_time

ROLES = {1: "end-user", 2: "end-user", 7: "agent", 8: "admin"}


def comment(id: int, author: int, at: str, *, public: bool = True) -> dict[str, Any]:
    return {"id": id, "author_id": author, "created_at": at, "public": public}


def when(raw: str) -> datetime | None:
    return parse_zendesk_time(raw)


def test_the_last_public_agent_reply_and_the_last_client_comment() -> None:
    comments = [
        comment(10, 1, "2026-11-30T09:00:00Z"),
        comment(11, 7, "2026-11-30T10:00:00Z"),
        comment(12, 8, "2026-11-30T11:00:00Z"),
        comment(13, 7, "2026-11-30T12:00:00Z", public=False),
        comment(14, 2, "2026-11-30T13:00:00Z"),
        comment(15, 99, "2026-11-30T14:00:00Z"),
    ]
    assert summarize_comments(comments, requester_id=1, roles=ROLES) == CommentSummary(
        last_agent_public_reply_at=when("2026-11-30T11:00:00Z"),
        last_agent_public_reply_by=8,
        last_requester_comment_at=when("2026-11-30T13:00:00Z"),
        last_comment_id=15,
    )


def test_the_requester_counts_as_the_client_even_when_their_role_is_unknown() -> None:
    summary = summarize_comments(
        [comment(1, 42, "2026-11-30T09:00:00Z")], requester_id=42, roles={}
    )
    assert summary.last_requester_comment_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert summary.last_agent_public_reply_at is None


def test_no_comments() -> None:
    assert summarize_comments([], requester_id=1, roles=ROLES) == CommentSummary()


def test_zendesk_times() -> None:
    assert parse_zendesk_time("2026-11-30T09:00:00Z") == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert parse_zendesk_time("garbage") is None
    assert parse_zendesk_time(None) is None


NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_user_row_defaults_what_zendesk_left_out() -> None:
    assert user_row({"id": 7, "email": ""}) == {
        "id": 7,
        "name": "",
        "email": None,
        "role": "end-user",
        "organization_id": None,
        "tags": " ",
    }
    assert user_row({"name": "No id"}) is None


def test_a_user_row_keeps_their_organization_and_tags() -> None:
    row = user_row({"id": 7, "organization_id": 50, "tags": ["authorised", "vip"]})
    assert row is not None
    assert (row["organization_id"], row["tags"]) == (50, " authorised vip ")


def test_a_new_ticket_row_takes_zendesk_fields() -> None:
    data = {
        "id": 101,
        "subject": "Site down",
        "status": "open",
        "priority": "high",
        "requester_id": "1",
        "tags": ["vip", 3],
        "created_at": "2026-11-30T09:00:00Z",
        "updated_at": "2026-11-30T11:00:00Z",
    }
    row = ticket_row(None, data, ticket_id=101, now=NOW)
    assert row["priority"] == "high"
    assert row["previous_priority"] is None
    assert row["requester_id"] == 1
    assert row["tags"] == ["vip", "3"]
    assert row["updated_at"] == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert row["last_comment_id"] is None
    assert row["synced_at"] == NOW


def test_a_priority_change_keeps_the_previous_one_and_unknown_priorities_are_none() -> None:
    before = ticket_row(None, {"priority": "low"}, ticket_id=1, now=NOW)
    after = ticket_row(before, {"priority": "bogus"}, ticket_id=1, now=NOW)
    assert (after["priority"], after["previous_priority"]) == (None, "low")


def test_a_summary_only_moves_forward_so_reading_comments_twice_changes_nothing() -> None:
    early = [comment(10, 1, "2026-11-30T09:00:00Z"), comment(11, 7, "2026-11-30T10:00:00Z")]
    late = [comment(12, 1, "2026-11-30T12:00:00Z")]
    row: dict[str, Any] = {}
    for batch in (early, late, early, late):
        merge_summary(row, summary_row(summarize_comments(batch, requester_id=1, roles=ROLES)))

    assert row == {
        "last_agent_public_reply_at": when("2026-11-30T10:00:00Z"),
        "last_agent_public_reply_by": 7,
        "last_requester_comment_at": when("2026-11-30T12:00:00Z"),
        "client_comment": None,
        "last_comment_id": 12,
    }


def test_the_client_s_words_move_forward_with_their_time_whatever_order_events_come() -> None:
    early = [comment(10, 1, "2026-11-30T09:00:00Z") | {"body": "Thanks, no rush."}]
    late = [comment(12, 1, "2026-11-30T12:00:00Z") | {"body": "Third time I ask!"}]
    row: dict[str, Any] = {}
    for batch in (late, early):
        merge_summary(row, summary_row(summarize_comments(batch, requester_id=1, roles=ROLES)))
    assert row["client_comment"] == "Third time I ask!"


def test_deleted_and_merged_tickets_are_gone() -> None:
    assert is_gone({"status": "deleted"})
    assert is_gone({"status": "closed", "tags": ["closed_by_merge"]})
    assert not is_gone({"status": "closed", "tags": ["vip"]})
    assert not is_gone({"status": "open", "tags": ["closed_by_merge"]})


def test_comments_from_events_once_each_with_their_audit_time() -> None:
    child = {"id": 5, "event_type": "Comment", "author_id": 1, "public": True, "body": "hi"}
    audit = {
        "ticket_id": 9,
        "created_at": "2026-11-30T09:00:00Z",
        "child_events": [{"id": 4, "event_type": "Change"}, child],
    }

    found = comments_by_ticket([audit, audit, {"ticket_id": "x"}, {"ticket_id": 3}])

    assert found == {9: [child | {"created_at": "2026-11-30T09:00:00Z"}]}


def test_the_client_s_last_public_comment_is_kept_for_its_tone() -> None:
    comments = [
        comment(1, 1, "2026-11-30T09:00:00Z") | {"plain_body": "First, calm."},
        comment(2, 1, "2026-11-30T10:00:00Z") | {"plain_body": "  This is the third time!  "},
        comment(3, 7, "2026-11-30T11:00:00Z") | {"plain_body": "Our reply."},
        comment(4, 1, "2026-11-30T12:00:00Z", public=False) | {"plain_body": "Private."},
    ]
    summary = summarize_comments(comments, requester_id=1, roles=ROLES)
    assert summary.last_requester_comment == "This is the third time!"
    long = [comment(1, 1, "2026-11-30T09:00:00Z") | {"body": "x" * 5000}]
    kept = summarize_comments(long, requester_id=1, roles=ROLES).last_requester_comment
    assert kept == "x" * CLIENT_COMMENT_LIMIT


def test_time_spent_is_read_from_the_account_s_field() -> None:
    data = {"custom_fields": [{"id": 5, "value": "x"}, {"id": 9, "value": "5400"}]}
    assert time_spent(data, 9) == 5400
    assert time_spent({"custom_fields": [{"id": 9, "value": 90.0}]}, 9) == 90
    assert time_spent({"custom_fields": [{"id": 9, "value": None}]}, 9) == 0
    assert time_spent(data, 5) is None  # not a number of seconds
    assert time_spent({"custom_fields": [{"id": 9, "value": -3}]}, 9) is None
    assert time_spent(data, 7) is None and time_spent({}, 9) is None


def test_time_logged_counts_what_the_field_grew_by() -> None:
    def row(status: str, spent: int | None) -> dict[str, Any]:
        return {
            "id": 1,
            "organization_id": 50,
            "status": status,
            "time_spent": spent,
            "updated_at": NOW,
        }

    def logged(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, int]]:
        return [(a["kind"], a["amount"]) for a in changes_for_figures(before, after)]

    assert logged(None, row("open", 600)) == [("time", 600)]
    assert logged(row("open", 600), row("open", 900)) == [("time", 300)]
    assert logged(row("open", 900), row("open", 300)) == []  # corrected down: nothing logged
    # Mirrored before the field was read: its total so far is no one week's work.
    assert logged(row("open", None), row("open", 7200)) == []
    assert logged(row("open", 0), row("solved", 0)) == [("solved", 1)]
    assert logged(row("solved", 0), row("closed", 0)) == []
