"""A ticket's comments summed up: our last public reply and the client's last comment.

The summary only moves forward (merge_summary), so reading a comment twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.bulk_writes import Row
from bot.store.zendesk_people import AGENT_ROLES
from bot.zendesk.values import as_int, parse_zendesk_time

Json = dict[str, Any]
SUMMARY_COLUMNS = (
    "last_agent_public_reply_at",
    "last_agent_public_reply_by",
    "last_requester_comment_at",
    "client_comment",
    "last_comment_id",
)
# The client's last comment is kept this long: enough to tell its tone and quote it.
CLIENT_COMMENT_LIMIT = 2000


@dataclass(frozen=True)
class CommentSummary:
    last_agent_public_reply_at: datetime | None = None
    last_agent_public_reply_by: int | None = None
    last_requester_comment_at: datetime | None = None
    last_comment_id: int | None = None
    # What the client's last public comment says (its start), for the tone of the ticket.
    last_requester_comment: str | None = None


def comment_text(comment: Json) -> str:
    """A comment's words without markup, clipped to what the mirror keeps."""
    body = comment.get("plain_body") or comment.get("body") or ""
    return str(body).strip()[:CLIENT_COMMENT_LIMIT]


def summarize_comments(
    comments: Iterable[Json], *, requester_id: int | None, roles: dict[int, str]
) -> CommentSummary:
    """Our last public reply (an agent's public comment) and the client's last public comment."""
    reply_at: datetime | None = None
    reply_by: int | None = None
    client_at: datetime | None = None
    client_said: str | None = None
    last_id: int | None = None
    for comment in comments:
        comment_id = as_int(comment.get("id"))
        if comment_id is not None and (last_id is None or comment_id > last_id):
            last_id = comment_id
        created = parse_zendesk_time(comment.get("created_at"))
        author = as_int(comment.get("author_id"))
        if created is None or author is None or not comment.get("public", False):
            continue
        if roles.get(author) in AGENT_ROLES:
            if reply_at is None or created >= reply_at:
                reply_at, reply_by = created, author
        elif author == requester_id or roles.get(author) == "end-user":
            if client_at is None or created >= client_at:
                client_at, client_said = created, comment_text(comment) or None
    return CommentSummary(reply_at, reply_by, client_at, last_id, client_said)


def summary_row(summary: CommentSummary) -> Row:
    return {
        "last_agent_public_reply_at": summary.last_agent_public_reply_at,
        "last_agent_public_reply_by": summary.last_agent_public_reply_by,
        "last_requester_comment_at": summary.last_requester_comment_at,
        "client_comment": summary.last_requester_comment,
        "last_comment_id": summary.last_comment_id,
    }


def merge_summary(row: Row, newer: Row) -> None:
    """Move the row's comment summary forward to what `newer` saw, never back."""
    reply_at = newer.get("last_agent_public_reply_at")
    if reply_at is not None and (
        row.get("last_agent_public_reply_at") is None
        or reply_at >= row["last_agent_public_reply_at"]
    ):
        row["last_agent_public_reply_at"] = reply_at
        row["last_agent_public_reply_by"] = newer.get("last_agent_public_reply_by")
    client_at = newer.get("last_requester_comment_at")
    if client_at is not None and (
        row.get("last_requester_comment_at") is None or client_at > row["last_requester_comment_at"]
    ):
        row["last_requester_comment_at"] = client_at
        row["client_comment"] = newer.get("client_comment")
    comment_id = newer.get("last_comment_id")
    if comment_id is not None and (
        row.get("last_comment_id") is None or comment_id > row["last_comment_id"]
    ):
        row["last_comment_id"] = comment_id
