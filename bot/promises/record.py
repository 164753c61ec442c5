"""Promised updates: recording them, keeping them, moving them, handing them on.

The playbook: "If we leave an update saying we'll work on it tomorrow, we must meet that
commitment. It is doubly bad to fail to meet a commitment and not say anything about it."
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import timefmt
from bot.blocks.kit import escape
from bot.promises.text import WhenError, detect_promise, split_when
from bot.rota.planner import on_support
from bot.services import Services
from bot.store import promises as store
from bot.store import rota as rota_store
from bot.store.promises import Promise
from bot.store.reports import all_rotas
from bot.store.tickets import AGENT_ROLES, OPEN_STATUSES, Ticket, user_roles
from bot.tickets.card import ZendeskRead, mirrored_or_fetched, parse_zendesk_time, slack_user_for
from bot.worktime import WorkCalendar
from bot.zendesk.client import ZendeskError, ZendeskNotFound

log = logging.getLogger(__name__)

PROMISE_USAGE = (
    "Usage: `/ticket promise ID WHEN [NOTE]`, e.g. `/ticket promise 1234 tomorrow` or "
    "`/ticket promise 1234 fri 3pm check the logs`."
)
# Only recent replies are read for promises: an old comment re-read by a first sync is history.
DETECTION_WINDOW = timedelta(days=3)


class PromiseError(Exception):
    """Something a person asked that cannot be done; the message says why."""


@dataclass(frozen=True)
class Outcome:
    promise: Promise
    message: str


def due_text(promise: Promise, calendar: WorkCalendar, *, now: datetime) -> str:
    return timefmt.instant(promise.due_at, calendar.tz, today=calendar.today(now))


def rota_channel_for(session: Session, user_id: str) -> tuple[int, str] | None:
    """The rota (id, channel) a person belongs to; else the first rota; None without rotas."""
    rotas = rota_store.rotas_of_user(session=session, user_id=user_id) or all_rotas(session=session)
    if not rotas or rotas[0].id is None:
        return None
    return rotas[0].id, rotas[0].channel_id


def person_on_support(
    session: Session, calendar: WorkCalendar, user_id: str, now: datetime
) -> str | None:
    found = rota_channel_for(session, user_id)
    if found is None:
        return None
    return on_support(session=session, calendar=calendar, rota_id=found[0], day=calendar.today(now))


def promise_from_command(services: Services, *, user: str, args: str) -> str:
    """`/ticket promise ID WHEN [NOTE]`: record it and say exactly when it is due."""
    ticket_part, _, rest = args.strip().partition(" ")
    digits = ticket_part.removeprefix("#")
    if not digits.isdigit():
        return f"Which ticket? `{ticket_part or '…'}` is not a ticket number.\n{PROMISE_USAGE}"
    now = services.now()
    try:
        due, note = split_when(rest, now=now, calendar=services.calendar)
    except WhenError as error:
        return f"{error}\n{PROMISE_USAGE}"
    try:
        ticket = mirrored_or_fetched(services, int(digits))
    except ZendeskNotFound:
        return f"I can't find ticket #{digits} in Zendesk, so I haven't recorded a promise."
    except ZendeskError as error:
        return f":warning: I couldn't check ticket #{digits} in Zendesk ({error}). Try again soon."
    with services.session() as session:
        promise = store.add_promise(
            session=session,
            ticket_id=ticket.id,
            owner=user,
            due_at=due,
            made_at=now,
            note=note,
            source=store.FROM_COMMAND,
            created_by=user,
            created_at=now,
        )
    return recorded_text(promise, services.calendar, now=now)


def recorded_text(promise: Promise, calendar: WorkCalendar, *, now: datetime) -> str:
    note = f" ({escape(promise.note)})" if promise.note else ""
    day = calendar.local(promise.due_at).date()
    holiday = calendar.holiday_name(day)
    warning = (
        f" Heads up: {timefmt.day(day)} is {holiday}."
        if holiday
        else f" Heads up: {timefmt.day(day)} is not a working day."
        if not calendar.is_working_day(day)
        else ""
    )
    return (
        f":handshake: Noted: you promised an update on #{promise.ticket_id} by "
        f"*{due_text(promise, calendar, now=now)}*{note}. I'll remind you before it is due."
        f"{warning}"
    )


def record_from_modal(
    services: Services, *, user: str, ticket_id: int, due: datetime, note: str
) -> Promise:
    now = services.now()
    with services.session() as session:
        return store.add_promise(
            session=session,
            ticket_id=ticket_id,
            owner=user,
            due_at=due,
            made_at=now,
            note=note,
            source=store.FROM_MODAL,
            created_by=user,
            created_at=now,
        )


def _open_promise(session: Session, promise_id: int, *, owner: str | None = None) -> Promise:
    """The open promise, or PromiseError; with `owner`, only if it is theirs."""
    promise = store.promise_by_id(session=session, promise_id=promise_id)
    if promise is None:
        raise PromiseError("That promise no longer exists.")
    if owner is not None and promise.owner != owner:
        raise PromiseError(f"This promise belongs to <@{promise.owner}>, so only they can do that.")
    if promise.state != store.OPEN:
        state = promise.state.replace("_", " ")
        by = (
            f" by <@{promise.state_by}>"
            if promise.state_by and promise.state_by != "zendesk"
            else ""
        )
        raise PromiseError(f"That promise on #{promise.ticket_id} is already {state}{by}.")
    return promise


def open_promise(services: Services, *, promise_id: int, owner: str) -> Promise:
    with services.session() as session:
        return _open_promise(session, promise_id, owner=owner)


def keep(services: Services, *, promise_id: int, by: str) -> Promise:
    with services.session() as session:
        promise = _open_promise(session, promise_id, owner=by)
        store.close_promise(
            session=session, promise=promise, state=store.KEPT, by=by, at=services.now()
        )
        return promise


def cancel(services: Services, *, promise_id: int, by: str) -> Promise:
    with services.session() as session:
        promise = _open_promise(session, promise_id, owner=by)
        store.close_promise(
            session=session, promise=promise, state=store.CANCELLED, by=by, at=services.now()
        )
        return promise


def reschedule(services: Services, *, promise_id: int, due: datetime, by: str) -> Promise:
    now = services.now()
    if due <= now:
        raise PromiseError("The new time has already passed: pick one in the future.")
    with services.session() as session:
        old = _open_promise(session, promise_id, owner=by)
        store.close_promise(session=session, promise=old, state=store.RESCHEDULED, by=by, at=now)
        return store.add_promise(
            session=session,
            ticket_id=old.ticket_id,
            owner=old.owner,
            due_at=due,
            made_at=now,
            note=old.note,
            source=old.source,
            created_by=by,
            created_at=now,
            replaces=old,
        )


def hand_over(
    services: Services, *, promise_id: int, to: str, by: str, owner_only: bool = True
) -> Promise:
    """Give the promise to `to`; only its owner may, unless someone takes it on themselves."""
    now = services.now()
    with services.session() as session:
        old = _open_promise(session, promise_id, owner=by if owner_only else None)
        if old.owner == to:
            raise PromiseError(f"<@{to}> already holds this promise.")
        store.close_promise(session=session, promise=old, state=store.HANDED_OVER, by=by, at=now)
        return store.add_promise(
            session=session,
            ticket_id=old.ticket_id,
            owner=to,
            due_at=old.due_at,
            made_at=old.made_at,
            note=old.note,
            source=old.source,
            created_by=by,
            created_at=now,
            replaces=old,
        )


def keep_fulfilled(*, session: Session, now: datetime) -> list[Promise]:
    """A later public reply by any agent, or the ticket being solved, keeps a promise."""
    query = (
        select(Promise, Ticket)
        .join(Ticket, col(Ticket.id) == col(Promise.ticket_id))
        .where(col(Promise.state) == store.OPEN)
    )
    kept = []
    for promise, ticket in session.exec(query).all():
        replied = (
            ticket.last_agent_public_reply_at is not None
            and ticket.last_agent_public_reply_at > promise.made_at
        )
        if replied or ticket.status not in OPEN_STATUSES:
            store.close_promise(
                session=session, promise=promise, state=store.KEPT, by="zendesk", at=now
            )
            kept.append(promise)
    return kept


@dataclass(frozen=True)
class Detected:
    ticket_id: int
    comment_id: int
    author: int
    written_at: datetime
    sentence: str
    due: datetime


def detect_in_replies(services: Services, read: ZendeskRead) -> list[Promise]:
    """Record the promises our agents made in the public replies just read from Zendesk.

    Never raises: a reply it cannot read is logged and the rest are still recorded.
    """
    try:
        found = _promises_in(services, read)
    except Exception:  # a bad comment must not stop the sync that read it
        log.exception("could not read promises in the replies just synced")
        return []
    recorded = []
    now = services.now()
    for item in found:
        owner = slack_user_for(services, item.author)
        with services.session() as session:
            owner = owner or person_on_support(session, services.calendar, "", now)
            if owner is None:
                log.info("nobody to hold the promise in comment %s", item.comment_id)
                continue
            try:
                with session.begin_nested():
                    promise = store.add_promise(
                        session=session,
                        ticket_id=item.ticket_id,
                        owner=owner,
                        due_at=item.due,
                        made_at=item.written_at,
                        note=item.sentence[:300],
                        source=store.FROM_REPLY,
                        created_by="zendesk",
                        created_at=now,
                        comment_id=item.comment_id,
                    )
            except IntegrityError:
                continue  # the webhook and the sync read the same reply at once
            recorded.append(promise)
    return recorded


def _promises_in(services: Services, read: ZendeskRead) -> list[Detected]:
    now = services.now()
    # Only recent public replies can hold a promise: the rest need no query at all.
    recent = []
    for ticket_id, ticket_comments in read.comments.items():
        for comment in ticket_comments:
            if (
                not comment.get("public", False)
                or comment.get("author_id") is None
                or comment.get("id") is None
            ):
                continue
            created = parse_zendesk_time(comment.get("created_at"))
            if created is not None and now - created <= DETECTION_WINDOW:
                recent.append((ticket_id, comment, created))
    if not recent:
        return []
    with services.session() as session:
        roles = user_roles(
            session=session, user_ids={int(comment["author_id"]) for _, comment, _ in recent}
        )
        replies = [
            (ticket_id, comment, created)
            for ticket_id, comment, created in recent
            if roles.get(int(comment["author_id"])) in AGENT_ROLES
        ]
        known = store.comments_with_promises(
            session=session, comment_ids=[int(comment["id"]) for _, comment, _ in replies]
        )
    found = []
    for ticket_id, comment, created in replies:
        if int(comment["id"]) in known:
            continue
        body = str(comment.get("plain_body") or comment.get("body") or "")
        detected = detect_promise(body, now=created, calendar=services.calendar)
        if detected is not None and detected.due > now:
            found.append(
                Detected(
                    ticket_id,
                    int(comment["id"]),
                    int(comment["author_id"]),
                    created,
                    detected.sentence,
                    detected.due,
                )
            )
    return found
