"""The `sync` job: pull ticket changes from Zendesk's cursor-based incremental export.

Each page is read in full (tickets, then the comments of the tickets that changed, then
anyone not yet known), then written together with the page's cursor in one transaction:
a failure between pages loses nothing and repeats nothing, and the next run resumes there.

A dry run reads nothing from Zendesk and writes nothing: it says where the export would
start from. A token that may not use the export (not an admin's) syncs through the Search API.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import timefmt
from bot.jobs.base import Job, JobContext, JobReport
from bot.promises.detect import detect_in_replies
from bot.services import Services
from bot.store.tickets import comment_states, record_sync_error, save_sync_cursor, sync_state
from bot.zendesk.client import (
    ExportPage,
    ZendeskBadCredentials,
    ZendeskClient,
    ZendeskError,
    ZendeskNotAllowed,
)
from bot.zendesk.comments import CommentReader
from bot.zendesk.mirror import (
    ZendeskRead,
    parse_zendesk_time,
    read_comments_and_people,
    store_read_in_transaction,
    ticket_changed,
)

log = logging.getLogger(__name__)

CURSOR_NAME = "tickets"
# Agent tokens may not use the incremental export; they sync through the Search API instead.
SEARCH_CURSOR_NAME = "tickets-search"
# Search results are stamped to the second: re-reading the last second misses nothing.
SEARCH_OVERLAP = timedelta(seconds=1)
NOT_CONFIGURED = (
    "Zendesk is not configured (set ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN); "
    "nothing to sync."
)
VIA_SEARCH = (
    " through the Search API, because the incremental export needs an admin's API token "
    "(set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for a faster, complete sync)"
)


class ExportRefused(Exception):
    """403 on the incremental export: the token is not an admin's."""


@dataclass
class Progress:
    pages: int = 0
    tickets: int = 0
    via_search: bool = False

    def done(self) -> str:
        via = VIA_SEARCH if self.via_search else ""
        return f"mirrored {_count(self.tickets, 'ticket')} from {_count(self.pages, 'page')}{via}"


def run_sync(ctx: JobContext) -> JobReport:
    zendesk = ctx.services.zendesk
    if zendesk is None:
        return JobReport(summary=NOT_CONFIGURED)
    if ctx.dry_run:
        return JobReport(
            summary=f"dry run: would export ticket changes {_start(ctx)}; wrote nothing."
        )
    progress = Progress()
    try:
        try:
            export_changes(ctx, zendesk, progress)
        except ExportRefused:
            progress.via_search = True
            search_changes(ctx, zendesk, progress)
    except ZendeskError as error:
        with ctx.services.session() as session:
            name = SEARCH_CURSOR_NAME if progress.via_search else CURSOR_NAME
            record_sync_error(session=session, name=name, error=str(error), now=ctx.now)
        log.warning("sync stopped after %d pages: %s", progress.pages, error)
        return JobReport(
            summary=f"{progress.done()}, then stopped; the next run resumes from the last "
            "saved page.",
            problems=[str(error)],
        )
    return JobReport(summary=f"{progress.done()}; up to date.")


def _saved_cursor(services: Services, name: str) -> str | None:
    with services.session() as session:
        state = sync_state(session=session, name=name)
        return None if state is None else state.cursor


def _look_back(ctx: JobContext) -> datetime:
    return ctx.now - timedelta(days=ctx.services.settings.sync_lookback_days)


def _start(ctx: JobContext) -> str:
    if _saved_cursor(ctx.services, CURSOR_NAME) is not None:
        return "from the cursor saved by the last run"
    return "since " + timefmt.instant(_look_back(ctx), ctx.services.calendar.tz)


def export_changes(ctx: JobContext, zendesk: ZendeskClient, progress: Progress) -> None:
    """The incremental export, page after page from the saved cursor, to the end of the stream.

    Three things overlap: the next page is fetched while this one's comments are read, and
    the page before is written meanwhile. Writes stay in order, one page (with its cursor)
    per transaction, so a failure anywhere loses nothing and repeats nothing.
    """
    cursor = _saved_cursor(ctx.services, CURSOR_NAME)
    start_time = int(_look_back(ctx).timestamp()) if cursor is None else None
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror")
    writing: Future[int] | None = None

    def written() -> None:
        nonlocal writing
        if writing is not None:
            done, writing = writing, None
            progress.tickets += done.result()
            progress.pages += 1

    try:
        with CommentReader(zendesk) as reader:
            upcoming = ahead.submit(_export_page, zendesk, cursor=cursor, start_time=start_time)
            while True:
                page = upcoming.result()
                last = page.end_of_stream or page.after_cursor is None
                if not last:
                    upcoming = ahead.submit(_export_page, zendesk, cursor=page.after_cursor)
                read = ZendeskRead(
                    tickets=page.tickets,
                    users=list(page.users),
                    organizations=list(page.organizations),
                    time_spent_field=ctx.services.settings.time_spent_field,
                )
                prepare_page(ctx.services, zendesk, read, reader=reader)
                written()
                writing = writer.submit(
                    write_page,
                    ctx.services,
                    read,
                    cursor_name=CURSOR_NAME,
                    cursor=page.after_cursor,
                    now=ctx.now,
                )
                if last:
                    written()
                    return
    finally:
        # The page before a failure is still written (its cursor with it) before stopping;
        # an error writing it is the one reported.
        try:
            written()
        finally:
            writer.shutdown(wait=True)
            # A page that failed must not wait for the next one, which is no longer needed.
            ahead.shutdown(wait=False, cancel_futures=True)


def _export_page(
    zendesk: ZendeskClient, *, cursor: str | None, start_time: int | None = None
) -> ExportPage:
    try:
        return zendesk.export_tickets(cursor=cursor, start_time=start_time)
    except ZendeskBadCredentials:
        raise
    except ZendeskNotAllowed:
        raise ExportRefused() from None


def search_changes(ctx: JobContext, zendesk: ZendeskClient, progress: Progress) -> None:
    """The Search API fallback: tickets updated since the newest one already mirrored."""
    saved = parse_zendesk_time(_saved_cursor(ctx.services, SEARCH_CURSOR_NAME))
    since = saved or _look_back(ctx)
    number = 1
    while True:
        tickets, more = zendesk.search_tickets(updated_after=since, page=number)
        stamps = [parse_zendesk_time(data.get("updated_at")) for data in tickets]
        newest = max((stamp for stamp in stamps if stamp is not None), default=None)
        cursor = None if newest is None else (newest - SEARCH_OVERLAP).isoformat()
        progress.tickets += mirror_page(
            ctx.services,
            zendesk,
            ZendeskRead(tickets=tickets, time_spent_field=ctx.services.settings.time_spent_field),
            cursor_name=SEARCH_CURSOR_NAME,
            cursor=cursor,
            now=ctx.now,
        )
        progress.pages += 1
        if not more:
            return
        number += 1


def mirror_page(
    services: Services,
    zendesk: ZendeskClient,
    read: ZendeskRead,
    *,
    cursor_name: str,
    cursor: str | None,
    now: datetime,
) -> int:
    """Read what the page needs, then write it and the page's cursor together."""
    prepare_page(services, zendesk, read)
    return write_page(services, read, cursor_name=cursor_name, cursor=cursor, now=now)


def prepare_page(
    services: Services,
    zendesk: ZendeskClient,
    read: ZendeskRead,
    *,
    reader: CommentReader | None = None,
) -> None:
    """Add to the page what writing it needs: the comments of the tickets that changed since
    the mirror last saw them, and anyone not yet known."""
    ids = [int(data["id"]) for data in read.tickets if isinstance(data.get("id"), int)]
    with services.session() as session:
        mirrored = comment_states(session=session, ticket_ids=ids)
    changed = [
        int(data["id"])
        for data in read.tickets
        if isinstance(data.get("id"), int)
        and data.get("status") != "deleted"
        and ticket_changed(data, mirrored.get(int(data["id"])))
    ]
    read_comments_and_people(zendesk, services, read, changed=changed, reader=reader)


def write_page(
    services: Services, read: ZendeskRead, *, cursor_name: str, cursor: str | None, now: datetime
) -> int:
    """Write a prepared page and its cursor in one transaction; then notice promises."""

    def save_cursor(session: Session) -> None:
        if cursor is not None:
            save_sync_cursor(session=session, name=cursor_name, cursor=cursor, now=now)

    mirrored_count = len(store_read_in_transaction(services, read, now=now, also=save_cursor))
    detect_in_replies(services, read)
    return mirrored_count


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


JOB = Job(
    name="sync",
    default_schedule="*/5 * * * *",
    description="pull ticket changes from Zendesk into the mirror",
    run=run_sync,
)
