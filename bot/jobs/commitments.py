"""`commitments`: reminders about promised updates, before they fall due and after.

For each open promise: a DM to its owner two working hours before it is due, one at the due
time, one the next working morning if it is still open, then a line in the rota channel.
Detected promises also get a "noted" DM. When a missed run leaves several DM stages due at
once, only the latest is sent; the channel line is a separate track, as is the "noted" DM.

A run sends each person (and each rota channel) at most one message: the parts every source
in SOURCES finds due, soonest first, each with its own buttons. The ledger still keys each
part (`commitments:<promise>:<stage>`), so a part is sent once whichever message carries it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.kit import ticket_url
from bot.blocks.promises import (
    BEFORE,
    CHANNEL,
    DUE,
    NOTED,
    OVERDUE,
    Reminder,
    reminder_blocks,
    reminder_text,
)
from bot.jobs.base import Job, JobContext, JobReport
from bot.jobs.delivery import Part, deliver_parts
from bot.jobs.playbook_dms import playbook_parts
from bot.promises.owners import person_on_support, rota_channel_for
from bot.promises.record import hand_over, keep_fulfilled
from bot.services import Services
from bot.slack.channels import shared_outside
from bot.slack.people import SlackPeople
from bot.store import promises as store
from bot.store import rota as rota_store
from bot.store.nudge_ledger import sent_keys
from bot.store.promises import Promise
from bot.store.tickets import tickets_by_ids
from bot.worktime import WorkCalendar

log = logging.getLogger(__name__)

NAME = "commitments"
BEFORE_HOURS = 2.0
# Far enough ahead to cover "two working hours before" across a long bank-holiday weekend.
LOOKAHEAD = timedelta(days=6)
# A flood guard: at most this many reminders about one person's promises per run (every ten
# minutes), soonest due first; after a holiday's backlog the rest follow in the next runs.
PER_OWNER = 10
# Promises read at a time while looking for a person's reminders not yet sent.
PAGE = 50


def reached_stages(promise: Promise, now: datetime, calendar: WorkCalendar) -> list[str]:
    """The stages whose time has come at `now` and came after the promise was recorded."""
    made, due_at = promise.created_at, promise.due_at
    if now < due_at:
        # Two working hours before: no need to find that instant, only to compare with it.
        before = (
            calendar.working_hours_between(now, due_at) <= BEFORE_HOURS
            and calendar.working_hours_between(made, due_at) >= BEFORE_HOURS
        )
        return [BEFORE] if before else []
    reached = [DUE] if made <= due_at else []
    next_morning = next_working_morning(promise, calendar)
    if made <= next_morning <= now:
        reached.append(OVERDUE)
    return reached


def next_working_morning(promise: Promise, calendar: WorkCalendar) -> datetime:
    due_day = calendar.local(promise.due_at).date()
    return calendar.start_of_working_day(calendar.next_working_day(due_day))


@dataclass(frozen=True)
class Due:
    promise: Promise
    stage: str
    # The rota channel, for the CHANNEL stage; otherwise the owner gets a DM.
    channel: str | None = None

    @property
    def key(self) -> str:
        if self.stage == CHANNEL:
            # Told once per promise and due time, whoever holds it after a hand-over.
            origin = store.origin_of(self.promise)
            return f"{NAME}:{origin}:{CHANNEL}:{self.promise.due_at.isoformat()}"
        return f"{NAME}:{self.promise.id}:{self.stage}"


def due(session: Session, now: datetime, *, calendar: WorkCalendar) -> list[Due]:
    """What to send at `now` and has not been sent: per promise, the latest DM stage reached,
    any channel line, any "noted" DM; at most PER_OWNER about one person's promises, soonest
    due first (the rest follow in the next runs, so a backlog never floods anyone).

    Stages already past when the promise was recorded (or handed on) are not sent late.
    """
    scan = _Scan(session, now, calendar)
    found: list[Due] = []
    for owner in store.promise_owners(session=session):
        found += scan.owner_due(owner)
    return found


@dataclass
class _Scan:
    """One look at the open promises at `now`, remembering each owner's rota channel."""

    session: Session
    now: datetime
    calendar: WorkCalendar
    channels: dict[str, tuple[int, str] | None] = field(default_factory=dict)

    def owner_due(self, owner: str) -> list[Due]:
        chosen: list[Due] = []
        after: tuple[datetime, int] | None = None
        while len(chosen) < PER_OWNER:
            page = store.open_promises_page(
                session=self.session,
                owner=owner,
                due_before=self.now + LOOKAHEAD,
                after=after,
                limit=PAGE,
            )
            candidates = [item for promise in page for item in self.reached(promise)]
            sent = sent_keys(session=self.session, keys=[item.key for item in candidates])
            unsent = [item for item in candidates if item.key not in sent]
            chosen += unsent[: PER_OWNER - len(chosen)]
            if len(page) < PAGE:
                break
            last = page[-1]
            assert last.id is not None
            after = (last.due_at, last.id)
        return chosen

    def reached(self, promise: Promise) -> list[Due]:
        now, calendar = self.now, self.calendar
        found: list[Due] = []
        reached = reached_stages(promise, now, calendar)
        if reached:
            found.append(Due(promise, reached[-1]))
        if (
            promise.due_at <= now
            and calendar.add_working_hours(next_working_morning(promise, calendar), 1) <= now
        ):
            if promise.owner not in self.channels:
                self.channels[promise.owner] = rota_channel_for(self.session, promise.owner)
            rota = self.channels[promise.owner]
            if rota is not None:
                found.append(Due(promise, CHANNEL, channel=rota[1]))
        if promise.source == store.FROM_REPLY and promise.replaces is None and not reached:
            found.append(Due(promise, NOTED))
        return found


def hand_promises_of_absent_owners(services: Services, now: datetime) -> None:
    """An owner who is away gets nothing: the person on support gets the promise instead."""
    today = services.calendar.today(now)
    moves: list[tuple[int, str]] = []
    with services.session() as session:
        for owner in store.promise_owners(session=session):
            if not rota_store.is_away(session=session, user_id=owner, day=today):
                continue
            cover = person_on_support(session, services.calendar, owner, now)
            if cover is None or cover == owner:
                continue
            if rota_store.is_away(session=session, user_id=cover, day=today):
                continue
            moves += [
                (p.id, cover)
                for p in store.open_promises_of(session=session, owner=owner)
                if p.due_at <= now + LOOKAHEAD and p.id is not None
            ]
    for promise_id, cover in moves:
        hand_over(services, promise_id=promise_id, to=cover, by="rotabot", owner_only=False)


def promise_reminders(ctx: JobContext) -> list[Part]:
    """The promise reminders due now, to owners and rota channels."""
    services, now, calendar = ctx.services, ctx.now, ctx.services.calendar
    if not ctx.dry_run:
        with services.session() as session:
            keep_fulfilled(session=session, now=now)
        hand_promises_of_absent_owners(services, now)
    with services.session() as session:
        candidates = due(session, now, calendar=calendar)
        already = sent_keys(session=session, keys=[item.key for item in candidates])
        due_now = [item for item in candidates if item.key not in already]
        tickets = tickets_by_ids(
            session=session, ticket_ids=sorted({item.promise.ticket_id for item in due_now})
        )
        support = {
            owner: person_on_support(session, calendar, owner, now)
            for owner in {item.promise.owner for item in due_now}
        }
    people = SlackPeople(services.slack)
    # A rota channel shared with another organization gets the line without the ticket's
    # subject or note (a dry run asks Slack nothing, so it shows the line that way too).
    shared = {
        channel: ctx.dry_run or shared_outside(services.slack, channel)
        for channel in {item.channel for item in due_now if item.channel}
    }
    zendesk_url = services.settings.zendesk_url
    parts = []
    for item in due_now:
        promise = item.promise
        ticket = tickets.get(promise.ticket_id)
        on_support = support.get(promise.owner)
        reminder = Reminder(
            promise=promise,
            stage=item.stage,
            recipient=item.channel or promise.owner,
            subject=ticket.subject if ticket else "",
            ticket_url=ticket_url(zendesk_url, promise.ticket_id),
            on_support=on_support,
            on_support_name=(
                people.known_name(on_support)
                if on_support and on_support != promise.owner and not ctx.dry_run
                else None
            ),
            now=now,
            calendar=calendar,
            shared=shared.get(item.channel or "", False),
        )
        parts.append(
            Part(
                key=item.key,
                recipient=reminder.recipient,
                text=reminder_text(reminder),
                blocks=reminder_blocks(reminder),
                when=promise.due_at,
            )
        )
    return parts


# Where a commitments message's parts come from; each is asked once per run.
Source = Callable[[JobContext], list[Part]]
SOURCES: tuple[Source, ...] = (promise_reminders, playbook_parts)


def run(ctx: JobContext) -> JobReport:
    return deliver_parts(ctx, NAME, [part for source in SOURCES for part in source(ctx)])


JOB = Job(
    name=NAME,
    default_schedule="*/10 * * * *",
    description="reminders about promised updates: before due, at due, overdue, then the channel",
    run=run,
)
