"""Promised updates: recording them, keeping them, moving them, handing them on.

The playbook: "If we leave an update saying we'll work on it tomorrow, we must meet that
commitment. It is doubly bad to fail to meet a commitment and not say anything about it."
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import timefmt
from bot.blocks.kit import escape
from bot.promises.text import WhenError, split_when
from bot.services import Services
from bot.store import promises as store
from bot.store.promises import Promise
from bot.store.tickets import OPEN_STATUSES, Ticket
from bot.worktime import WorkCalendar
from bot.zendesk.client import ZendeskError, ZendeskNotFound

PROMISE_USAGE = (
    "Usage: `/ticket promise ID WHEN [NOTE]`, e.g. `/ticket promise 1234 tomorrow` or "
    "`/ticket promise 1234 fri 3pm check the logs`."
)


class PromiseError(Exception):
    """Something a person asked that cannot be done; the message says why."""


@dataclass(frozen=True)
class Outcome:
    promise: Promise
    message: str


def due_text(promise: Promise, calendar: WorkCalendar, *, now: datetime) -> str:
    return timefmt.instant(promise.due_at, calendar.tz, today=calendar.today(now))


def promise_from_command(
    services: Services, *, user: str, args: str, ticket_of: Callable[[int], Ticket]
) -> str:
    """`/ticket promise ID WHEN [NOTE]`: record it and say exactly when it is due.

    `ticket_of` finds the ticket, from the mirror or else from Zendesk (bot.tickets.refresh,
    which notices promises in turn, so this module cannot import it).
    """
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
        ticket = ticket_of(int(digits))
    except ZendeskNotFound:
        return f"I can't find ticket #{digits} in Zendesk, so I haven't recorded a promise."
    except ZendeskError as error:
        return f":warning: I couldn't check ticket #{digits} in Zendesk ({error}). Try again soon."
    promise = _record_own(
        services,
        user=user,
        ticket_id=ticket.id,
        due=due,
        note=note,
        source=store.FROM_COMMAND,
        now=now,
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
    return _record_own(
        services,
        user=user,
        ticket_id=ticket_id,
        due=due,
        note=note,
        source=store.FROM_MODAL,
        now=services.now(),
    )


def _record_own(
    services: Services,
    *,
    user: str,
    ticket_id: int,
    due: datetime,
    note: str,
    source: str,
    now: datetime,
) -> Promise:
    """A promise someone made themselves, just now."""
    with services.session() as session:
        return store.add_promise(
            session=session,
            ticket_id=ticket_id,
            owner=user,
            due_at=due,
            made_at=now,
            note=note,
            source=source,
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
    return _close(services, promise_id=promise_id, by=by, state=store.KEPT)


def cancel(services: Services, *, promise_id: int, by: str) -> Promise:
    return _close(services, promise_id=promise_id, by=by, state=store.CANCELLED)


def _close(services: Services, *, promise_id: int, by: str, state: str) -> Promise:
    with services.session() as session:
        promise = _open_promise(session, promise_id, owner=by)
        store.close_promise(session=session, promise=promise, state=state, by=by, at=services.now())
        return promise


def reschedule(services: Services, *, promise_id: int, due: datetime, by: str) -> Promise:
    now = services.now()
    if due <= now:
        raise PromiseError("The new time has already passed: pick one in the future.")
    with services.session() as session:
        old = _open_promise(session, promise_id, owner=by)
        return _replace(
            session,
            old,
            state=store.RESCHEDULED,
            by=by,
            now=now,
            owner=old.owner,
            due=due,
            made=now,
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
        return _replace(
            session,
            old,
            state=store.HANDED_OVER,
            by=by,
            now=now,
            owner=to,
            due=old.due_at,
            made=old.made_at,
        )


def _replace(
    session: Session,
    old: Promise,
    *,
    state: str,
    by: str,
    now: datetime,
    owner: str,
    due: datetime,
    made: datetime,
) -> Promise:
    """Close `old` as `state` and open its successor: the same ticket, note and source."""
    store.close_promise(session=session, promise=old, state=state, by=by, at=now)
    return store.add_promise(
        session=session,
        ticket_id=old.ticket_id,
        owner=owner,
        due_at=due,
        made_at=made,
        note=old.note,
        source=old.source,
        created_by=by,
        created_at=now,
        replaces=old,
    )


def keep_fulfilled(*, session: Session, now: datetime) -> list[Promise]:
    """A later public reply by any agent, or the ticket being solved, keeps a promise."""
    kept = []
    for promise, ticket in store.open_promises_with_tickets(session=session):
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
