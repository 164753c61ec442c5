"""The mirror kept from Zendesk's JSON: reading tickets, comments and people, then writing them.

Reading from Zendesk happens first, outside any transaction; what was read is then written
in one transaction, so a failure half-way through a read writes nothing. Comments arrive
incrementally (the ticket events export) or all at once (one ticket's read): either way a
ticket's comment summary only moves forward, so reading a comment twice changes nothing.
Deleted and merged tickets leave the mirror, and their open promises every list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.priorities import PRIORITIES
from bot.store.bulk_writes import Row
from bot.store.client_activity import record_activity
from bot.store.db import SessionSource
from bot.store.priority_reviews import ZENDESK_REVIEWER, record_priority_reviews
from bot.store.promises import cancel_promises_on_tickets
from bot.store.tickets import (
    Ticket,
    forget_tickets,
    reloaded_tickets,
    ticket_rows,
    write_ticket_rows,
)
from bot.store.zendesk_people import (
    known_organization_ids,
    known_user_ids,
    seen_in_mirror,
    tag_list,
    upsert_organizations,
    upsert_zendesk_users,
    user_roles,
)
from bot.store.zendesk_sync import (
    forget_pending_comments,
    pending_comments,
    save_pending_comments,
)
from bot.zendesk.activity import changes_for_figures, our_replies, time_spent
from bot.zendesk.client import ZendeskClient
from bot.zendesk.comments import (
    SUMMARY_COLUMNS,
    merge_summary,
    summarize_comments,
    summary_row,
)
from bot.zendesk.values import as_int, parse_zendesk_time

log = logging.getLogger(__name__)


class MirrorSource(SessionSource, Protocol):
    """Sessions, and the engine they come from (what this process has seen is per database)."""

    engine: Engine


Json = dict[str, Any]
# Zendesk closes a ticket merged into another with this tag.
MERGED_TAG = "closed_by_merge"
# A ticket's columns before its first write, as far as writing it reads them.
NEW_TICKET: Row = {
    "priority": None,
    "previous_priority": None,
    "last_agent_public_reply_at": None,
    "last_agent_public_reply_by": None,
    "last_requester_comment_at": None,
    "client_comment": None,
    "last_comment_id": None,
    "time_spent": None,
}


# --- what was read from Zendesk, and writing it -------------------------------------------


@dataclass
class ZendeskRead:
    """Tickets, comments (new ones, by ticket, for these or other tickets) and people."""

    tickets: list[Json] = field(default_factory=list)
    comments: dict[int, list[Json]] = field(default_factory=dict)
    users: list[Json] = field(default_factory=list)
    organizations: list[Json] = field(default_factory=list)
    metric_sets: list[Json] = field(default_factory=list)
    # Ticket metrics older than this stand in for comments the events export will not bring.
    history_before: datetime | None = None
    # The ticket field holding time spent (seconds), when the account tracks time.
    time_spent_field: int | None = None


def is_gone(data: Json) -> bool:
    """Deleted, or merged into another ticket: no longer one to mirror."""
    tags = data.get("tags")
    merged = isinstance(tags, list) and MERGED_TAG in tags
    return data.get("status") == "deleted" or (data.get("status") == "closed" and merged)


def read_people(zendesk: ZendeskClient, services: MirrorSource, read: ZendeskRead) -> None:
    """Add to `read` every person and organization it names that the mirror does not know
    (the database is asked only about ids this process has not seen in it)."""
    wanted: set[int] = set()
    for data in read.tickets:
        wanted.update(
            uid
            for uid in (as_int(data.get("requester_id")), as_int(data.get("assignee_id")))
            if uid
        )
    for comments in read.comments.values():
        wanted.update(uid for c in comments if (uid := as_int(c.get("author_id"))) is not None)
    wanted -= {uid for u in read.users if (uid := as_int(u.get("id"))) is not None}
    org_ids = {oid for data in read.tickets if (oid := as_int(data.get("organization_id")))}
    org_ids -= {oid for o in read.organizations if (oid := as_int(o.get("id"))) is not None}
    seen = seen_in_mirror(services.engine)
    wanted, org_ids = seen.unseen(wanted, org_ids)
    if wanted or org_ids:
        with services.session() as session:
            known_users = known_user_ids(session=session, user_ids=wanted)
            known_orgs = known_organization_ids(session=session, organization_ids=org_ids)
        seen.saw(known_users, known_orgs)
        wanted -= known_users
        org_ids -= known_orgs
    if wanted:
        read.users.extend(zendesk.users(wanted))
    if org_ids:
        read.organizations.extend(zendesk.organizations(org_ids))


def read_tickets(
    zendesk: ZendeskClient,
    services: MirrorSource,
    ticket_ids: list[int],
    *,
    time_spent_field: int | None = None,
) -> ZendeskRead:
    """Some tickets now (a webhook, a card): one show_many and each kept one's comments (see
    tickets_and_comments); then the people."""
    tickets, comments = zendesk.comment_reads.tickets_and_comments(
        ticket_ids, keep=lambda t: not is_gone(t)
    )
    read = ZendeskRead(tickets=tickets, time_spent_field=time_spent_field)
    for data in read.tickets:
        ticket_id = as_int(data.get("id"))
        if ticket_id is None or is_gone(data):
            continue  # its comments, if it had any to read, are not kept
        found = comments.get(ticket_id)
        if isinstance(found, Exception):
            raise found
        if found is not None:
            read.comments[ticket_id] = found
    read_people(zendesk, services, read)
    return read


def store_read(
    *, session: Session, read: ZendeskRead, now: datetime, ours: bool = False
) -> list[Ticket]:
    """Upsert everything read; returns the tickets written (not those that are gone).

    `ours`: the read is Zendesk's answer to our own change, already recorded by its caller.
    """
    ids = write_read(session=session, read=read, now=now, ours=ours)
    written = reloaded_tickets(session=session, ticket_ids=set(ids))
    return [written[ticket_id] for ticket_id in ids if ticket_id in written]


def write_read(
    *, session: Session, read: ZendeskRead, now: datetime, ours: bool = False
) -> list[int]:
    """What `store_read` does, as rows and in bulk; returns the ids of the tickets written."""
    users = [row for user in read.users if (row := user_row(user)) is not None]
    upsert_zendesk_users(session=session, users=users)
    organizations = [
        {"id": org_id, "name": str(org.get("name") or "")}
        for org in read.organizations
        if (org_id := as_int(org.get("id"))) is not None
    ]
    upsert_organizations(session=session, organizations=organizations)
    authors = {
        uid
        for comments in read.comments.values()
        for c in comments
        if (uid := as_int(c.get("author_id")))
    }
    roles = {user["id"]: user["role"] for user in users}
    roles |= user_roles(session=session, user_ids=authors - roles.keys())
    gone = {tid for data in read.tickets if is_gone(data) and (tid := as_int(data.get("id")))}
    ids = [
        tid
        for data in read.tickets
        if (tid := as_int(data.get("id"))) is not None and tid not in gone
    ]
    touched = set(ids) | (read.comments.keys() - gone)
    mirrored = ticket_rows(session=session, ticket_ids=touched)
    pending = pending_comments(session=session, ticket_ids=touched - mirrored.keys())
    metrics = {tid: m for m in read.metric_sets if (tid := as_int(m.get("ticket_id")))}
    latest: dict[int, Row] = {}
    reviews: list[Row] = []
    activity: list[Row] = []
    for data in read.tickets:
        ticket_id = as_int(data.get("id"))
        if ticket_id is None or ticket_id in gone:
            continue
        before = latest.get(ticket_id) or mirrored.get(ticket_id)
        row = ticket_row(before, data, ticket_id=ticket_id, now=now)
        if before is None and ticket_id in pending:
            merge_summary(row, pending[ticket_id])
        _fill_from_metrics(row, metrics.get(ticket_id), before=read.history_before)
        if read.time_spent_field is not None:
            row["time_spent"] = time_spent(data, read.time_spent_field)
        activity.extend(changes_for_figures(before, row))
        if not ours and before is not None and row["priority"] != before["priority"]:
            # Only agents set priorities in Zendesk: a change there is a priority review.
            reviews.append(
                {
                    "ticket_id": ticket_id,
                    "reviewed_by": ZENDESK_REVIEWER,
                    "reviewed_at": row["updated_at"],
                    "source": "zendesk",
                    "priority_set": row["priority"],
                }
            )
        latest[ticket_id] = row
    waiting: dict[int, Row] = {}
    for ticket_id, comments in read.comments.items():
        if ticket_id in gone:
            continue
        known = latest.get(ticket_id) or mirrored.get(ticket_id)
        summary = summarize_comments(
            comments, requester_id=None if known is None else known["requester_id"], roles=roles
        )
        if known is not None:
            row = latest.setdefault(ticket_id, dict(known))
        else:
            # Its events came before the ticket did: kept until the ticket is mirrored.
            row = waiting.setdefault(
                ticket_id, dict(pending.get(ticket_id) or dict.fromkeys(SUMMARY_COLUMNS))
            )
            row["id"] = ticket_id
        merge_summary(row, summary_row(summary))
    write_ticket_rows(session=session, rows=list(latest.values()), mirrored=mirrored.keys())
    save_pending_comments(session=session, rows=list(waiting.values()), known=pending.keys())
    # Every ticket mirrored for the first time, not only those whose pending comments were read
    # above: another writer may have kept some for it since.
    forget_pending_comments(session=session, ticket_ids=(set(latest) - mirrored.keys()) | gone)
    if gone:
        forget_tickets(session=session, ticket_ids=gone)
        cancel_promises_on_tickets(session=session, ticket_ids=sorted(gone), at=now)
    record_priority_reviews(session=session, reviews=reviews)
    activity.extend(our_replies(session, read.comments, latest, roles))
    record_activity(session=session, rows=activity)
    return ids


def _fill_from_metrics(row: Row, metrics: Json | None, *, before: datetime | None) -> None:
    """A ticket whose comments all predate the events export's reach: Zendesk's ticket metrics
    say when the requester and the assignee last updated it. Anything later the events bring,
    exactly, so metrics never stand in for it."""
    if metrics is None or before is None or row.get("last_comment_id") is not None:
        return
    client_at = parse_zendesk_time(metrics.get("requester_updated_at"))
    if row.get("last_requester_comment_at") is None and client_at and client_at < before:
        row["last_requester_comment_at"] = client_at
    reply_at = parse_zendesk_time(metrics.get("assignee_updated_at"))
    if row.get("last_agent_public_reply_at") is None and reply_at and reply_at < before:
        row["last_agent_public_reply_at"] = reply_at
        row["last_agent_public_reply_by"] = row.get("assignee_id")


def user_row(user: Json) -> Row | None:
    user_id = as_int(user.get("id"))
    if user_id is None:
        return None
    email = user.get("email")
    tags = user.get("tags")
    return {
        "id": user_id,
        "name": str(user.get("name") or ""),
        "email": email if isinstance(email, str) and email else None,
        "role": str(user.get("role") or "end-user"),
        "organization_id": as_int(user.get("organization_id")),
        "tags": tag_list([str(tag) for tag in tags] if isinstance(tags, list) else []),
    }


def ticket_row(ticket: Row | None, data: Json, *, ticket_id: int, now: datetime) -> Row:
    """The ticket's columns once `data` is applied to the mirrored `ticket` (None: a new one)."""
    created = parse_zendesk_time(data.get("created_at")) or now
    updated = parse_zendesk_time(data.get("updated_at")) or created
    row = dict(NEW_TICKET, updated_at=updated) if ticket is None else dict(ticket)
    priority = data.get("priority") if data.get("priority") in PRIORITIES else None
    if row["priority"] != priority:
        row["previous_priority"] = row["priority"]
    tags = data.get("tags")
    row.update(
        id=ticket_id,
        subject=str(data.get("subject") or data.get("raw_subject") or ""),
        status=str(data.get("status") or "new"),
        priority=priority,
        requester_id=as_int(data.get("requester_id")),
        assignee_id=as_int(data.get("assignee_id")),
        organization_id=as_int(data.get("organization_id")),
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [],
        created_at=created,
        updated_at=updated,
        synced_at=now,
    )
    return row


def store_read_in_transaction(
    services: MirrorSource,
    read: ZendeskRead,
    *,
    now: datetime,
    also: Callable[[Session], None] | None = None,
) -> list[int]:
    """Write what was read (and `also`) in one transaction; returns the ticket ids written.

    A webhook, a card and the sync may insert the same new record at once; the loser of
    that race tries once more, now as an update.
    """

    def write() -> list[int]:
        with services.session() as session:
            written = write_read(session=session, read=read, now=now)
            if also is not None:
                also(session)
        return written

    try:
        written = write()
    except IntegrityError:
        log.info("another writer mirrored the same records first; writing again")
        written = write()
    # Committed: the mirror keeps these from now on (see read_people).
    seen_in_mirror(services.engine).saw(
        {uid for user in read.users if (uid := as_int(user.get("id"))) is not None},
        {oid for org in read.organizations if (oid := as_int(org.get("id"))) is not None},
    )
    return written
