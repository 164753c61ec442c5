"""The `sync` job: Zendesk's changes in bulk, within Rotabot's share of the account's budget.

Tickets come from the cursor-based incremental ticket export (people, organizations and
ticket metrics on the same page); comments from the incremental ticket events export with
`include=comment_events`, under its own `start_time` cursor. Each page is written together
with its cursor (and the promises found in its replies) in one transaction: a failure between
pages loses nothing and repeats nothing, and the next run resumes there. Nothing is read per
ticket. Every call goes through the client's limiter; a run that would have to wait for the
budget past its next scheduled run stops cleanly instead, its cursors saved.

A dry run reads nothing from Zendesk and writes nothing: it says where the export would
start from. A token that may not use the exports (not an admin's) syncs through the export
search, reading each changed ticket's comments, paced by the same limiter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import timefmt
from bot.jobs.base import Job, JobContext, JobReport
from bot.promises.detect import find_promises, record_promises
from bot.services import Services
from bot.store.tickets import record_sync_error, save_sync_cursor, sync_state
from bot.store.zendesk_people import upsert_zendesk_users
from bot.zendesk.client import (
    ZendeskBadCredentials,
    ZendeskClient,
    ZendeskError,
    ZendeskNotAllowed,
    ZendeskPageTooBig,
    ZendeskRateLimited,
)
from bot.zendesk.events import comments_by_ticket
from bot.zendesk.mirror import (
    ZendeskRead,
    is_gone,
    read_people,
    user_row,
    write_read,
)
from bot.zendesk.values import parse_zendesk_time

log = logging.getLogger(__name__)

CURSOR_NAME = "tickets"
EVENTS_CURSOR_NAME = "ticket-events"
# Agent tokens may not use the incremental exports; they sync through the export search.
SEARCH_CURSOR_NAME = "tickets-search"
# Search results are stamped to the second: re-reading the last second misses nothing.
SEARCH_OVERLAP = timedelta(seconds=1)
# A run stops this long before the next one is due, so runs never overlap.
MARGIN = timedelta(seconds=10)
SMALLEST_PAGE = 10
NOT_CONFIGURED = (
    "Zendesk is not configured (set ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN); "
    "nothing to sync."
)
VIA_SEARCH = (
    " through the Search API, because the incremental export needs an admin's API token "
    "(set ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's for a faster, complete sync)"
)
T = TypeVar("T")


class ExportRefused(Exception):
    """403 on the incremental export: the token is not an admin's."""


@dataclass
class Progress:
    pages: int = 0
    tickets: int = 0
    comments: int = 0
    via_search: bool = False
    page_size: int = 1000

    def done(self) -> str:
        via = VIA_SEARCH if self.via_search else ""
        return (
            f"mirrored {_count(self.tickets, 'ticket')} and {_count(self.comments, 'comment')} "
            f"from {_count(self.pages, 'page')}{via}"
        )


def run_sync(ctx: JobContext) -> JobReport:
    zendesk = ctx.services.zendesk
    if zendesk is None:
        return JobReport(summary=NOT_CONFIGURED)
    if ctx.dry_run:
        return JobReport(
            summary=f"dry run: would export ticket changes {_start(ctx)}; wrote nothing."
        )
    progress = Progress(page_size=ctx.services.settings.zendesk_page_size)
    time_left = (next_run(ctx) - MARGIN - ctx.now).total_seconds()
    try:
        with zendesk.deadline(zendesk.limiter.clock() + max(0.0, time_left)):
            try:
                export_changes(ctx, zendesk, progress)
            except ExportRefused:
                progress.via_search = True
                search_changes(ctx, zendesk, progress)
    except ZendeskRateLimited as error:
        log.info("sync paused for Zendesk's budget after %d pages: %s", progress.pages, error)
        return JobReport(
            summary=f"{progress.done()}, then stopped to stay within Zendesk's API budget "
            "before the next run; it resumes from the last saved page."
        )
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


def next_run(ctx: JobContext) -> datetime:
    """When the scheduler starts the next sync (the schedule's next time after now)."""
    crontab = ctx.services.settings.schedules.get(JOB.name, JOB.default_schedule)
    trigger = CronTrigger.from_crontab(crontab, timezone=ctx.services.calendar.tz)
    upcoming = trigger.get_next_fire_time(None, ctx.now + timedelta(seconds=1))
    return upcoming if upcoming is not None else ctx.now + timedelta(minutes=5)


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


def _halving(progress: Progress, read: Callable[..., T]) -> T:
    """Read a page; after a 504 ask for half as many records, for the rest of the run."""
    while True:
        try:
            return read(per_page=progress.page_size)
        except ZendeskPageTooBig:
            if progress.page_size <= SMALLEST_PAGE:
                raise
            progress.page_size = max(SMALLEST_PAGE, progress.page_size // 2)
            log.info("Zendesk timed out on a page; asking for %d at a time", progress.page_size)


def export_changes(ctx: JobContext, zendesk: ZendeskClient, progress: Progress) -> None:
    """Tickets, then comments, each export page by page from its cursor to the end."""
    cursor = _saved_cursor(ctx.services, CURSOR_NAME)
    start_time = int(_look_back(ctx).timestamp()) if cursor is None else None
    while True:
        try:
            page = _halving(
                progress, partial(zendesk.export_tickets, cursor=cursor, start_time=start_time)
            )
        except ZendeskBadCredentials:
            raise
        except ZendeskNotAllowed:
            raise ExportRefused() from None
        read = ZendeskRead(
            tickets=page.tickets,
            users=list(page.users),
            organizations=list(page.organizations),
            metric_sets=page.metric_sets,
            history_before=_look_back(ctx),
            time_spent_field=ctx.services.settings.time_spent_field,
        )
        read_people(zendesk, ctx.services, read)
        write_page(
            ctx.services,
            read,
            cursor_name=CURSOR_NAME,
            cursor=page.after_cursor,
            now=ctx.now,
            progress=progress,
        )
        if page.end_of_stream or page.after_cursor is None:
            break
        cursor, start_time = page.after_cursor, None
    export_comments(ctx, zendesk, progress)


def export_comments(ctx: JobContext, zendesk: ZendeskClient, progress: Progress) -> None:
    """The ticket events export with its comments, from its own `start_time` cursor."""
    saved = _saved_cursor(ctx.services, EVENTS_CURSOR_NAME)
    start = int(saved) if saved is not None else int(_look_back(ctx).timestamp())
    while True:
        page = _halving(progress, partial(zendesk.ticket_events, start_time=start))
        read = ZendeskRead(comments=comments_by_ticket(page.events))
        read_people(zendesk, ctx.services, read)
        end = page.end_time if page.end_time is not None else start
        write_page(
            ctx.services,
            read,
            cursor_name=EVENTS_CURSOR_NAME,
            cursor=str(end),
            now=ctx.now,
            progress=progress,
        )
        if page.end_of_stream:
            return
        # A page holds every event of its last second: a page of one second ends with it.
        start = end if end > start else start + 1


def search_changes(ctx: JobContext, zendesk: ZendeskClient, progress: Progress) -> None:
    """The fallback for agent tokens: tickets updated since the newest one already mirrored,
    through the export search (cursor pages), and each one's comments, paced."""
    saved = parse_zendesk_time(_saved_cursor(ctx.services, SEARCH_CURSOR_NAME))
    since = saved or _look_back(ctx)
    after: str | None = None
    while True:
        page = zendesk.search_tickets(updated_after=since, after=after)
        read = ZendeskRead(
            tickets=page.tickets, time_spent_field=ctx.services.settings.time_spent_field
        )
        for data in page.tickets:
            if isinstance(data.get("id"), int) and not is_gone(data):
                read.comments[data["id"]] = zendesk.comments(data["id"])
        read_people(zendesk, ctx.services, read)
        stamps = [parse_zendesk_time(data.get("updated_at")) for data in page.tickets]
        newest = max((stamp for stamp in stamps if stamp is not None), default=None)
        cursor = None if newest is None else (newest - SEARCH_OVERLAP).isoformat()
        write_page(
            ctx.services,
            read,
            cursor_name=SEARCH_CURSOR_NAME,
            cursor=cursor,
            now=ctx.now,
            progress=progress,
        )
        if not page.has_more or page.after_cursor is None:
            return
        after = page.after_cursor


def write_page(
    services: Services,
    read: ZendeskRead,
    *,
    cursor_name: str,
    cursor: str | None,
    now: datetime,
    progress: Progress,
) -> None:
    """Write a page, the promises in its replies and its cursor, in one transaction.

    The page's new people are written first (idempotent) so that the promises' authors can
    be matched to Slack people before the transaction, with no session open.
    """
    if read.comments and read.users:
        with services.session() as session:
            users = [row for user in read.users if (row := user_row(user)) is not None]
            upsert_zendesk_users(session=session, users=users)
    found = find_promises(services, read)

    def write(session: Session) -> int:
        written = len(write_read(session=session, read=read, now=now))
        record_promises(session=session, calendar=services.calendar, found=found, now=now)
        if cursor is not None:
            save_sync_cursor(session=session, name=cursor_name, cursor=cursor, now=now)
        return written

    try:
        with services.session() as session:
            written = write(session)
    except IntegrityError:
        # A webhook mirrored one of these tickets first: once more, now as an update.
        log.info("another writer mirrored the same records first; writing again")
        with services.session() as session:
            written = write(session)
    progress.tickets += written
    progress.pages += 1
    progress.comments += sum(len(comments) for comments in read.comments.values())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


JOB = Job(
    name="sync",
    default_schedule="*/5 * * * *",
    description="pull ticket changes from Zendesk into the mirror",
    run=run_sync,
)
