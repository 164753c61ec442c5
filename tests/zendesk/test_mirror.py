"""Who said what last on a ticket, from its comments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.zendesk.mirror import CommentSummary, parse_zendesk_time, summarize_comments

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
