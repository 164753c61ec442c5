"""Who gets each nudge, and who a sent digest went to.

A nudge goes to the ticket's assignee (matched to Slack by email), else to the person on
support this week. Tickets belong to the workspace's rota (the first one created, when there
are several). Someone away today gets nothing: their lines go to the person on support, and
when that person is away too (or the rota has nobody) the line waits for a later run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from bot.blocks.digest import Total
from bot.rota.planner import on_support_at
from bot.services import Services
from bot.store.nudge_ledger import nudge_for_message
from bot.store.reports import workspace_rota
from bot.store.rota import Rota, is_away
from bot.store.shortlists import Assignee, Shortlist
from bot.store.tickets import Ticket
from bot.store.zendesk_people import slack_user_for_zendesk_user
from bot.worktime import WorkCalendar

DIGEST = "digest"


@dataclass
class Recipients:
    """Who each assignee's nudges go to today (None: nobody can be nudged about them)."""

    rota: Rota | None
    person_of: dict[Assignee, str | None]
    # Unassigned tickets with this tag went to another team as chargeable work: nobody's.
    handed_on_tag: str | None = None


def recipients(
    session: Session,
    assignees: Iterable[Assignee],
    *,
    calendar: WorkCalendar,
    now: datetime,
    handed_on_tag: str | None = None,
) -> Recipients:
    """Asked once per assignee, not once per ticket: a desk has thousands of tickets, few people."""
    today = calendar.today(now)
    rota = workspace_rota(session=session)
    on_support = None
    if rota is not None and rota.id is not None:
        on_support = on_support_at(session=session, calendar=calendar, rota_id=rota.id, now=now)
    if on_support is not None and is_away(session=session, user_id=on_support, day=today):
        on_support = None
    person_of: dict[Assignee, str | None] = {}
    away: dict[str, bool] = {}
    for assignee in set(assignees):
        person = None
        if assignee is not None:
            person = slack_user_for_zendesk_user(session=session, zendesk_user_id=assignee)
        if person is not None:
            if person not in away:
                away[person] = is_away(session=session, user_id=person, day=today)
            if away[person]:
                person = None
        person_of[assignee] = person or on_support
    return Recipients(rota=rota, person_of=person_of, handed_on_tag=handed_on_tag)


def by_person(
    people: Recipients,
    found: dict[Assignee, Shortlist],
    *,
    limit: int,
    order: Callable[[tuple[Ticket, Any]], Any],
) -> tuple[dict[str, Shortlist], Shortlist]:
    """Each assignee's shortlist joined into its recipient's (first `limit` in `order`), and
    the shortlist of tickets nobody can be nudged about."""
    joined: dict[str | None, Shortlist] = {}
    for assignee, shortlist in found.items():
        if assignee is None and people.handed_on_tag is not None:
            shortlist = _without_tag(shortlist, people.handed_on_tag)
        joined.setdefault(people.person_of[assignee], Shortlist()).add(shortlist)
    for shortlist in joined.values():
        shortlist.rows = sorted(shortlist.rows, key=order)[:limit]
    unrouted = joined.pop(None, Shortlist())
    # A person whose every line was handed on gets no digest.
    routed = {person: rows for person, rows in joined.items() if person and rows.rows}
    return routed, unrouted


def _without_tag(shortlist: Shortlist, tag: str) -> Shortlist:
    kept = [row for row in shortlist.rows if tag not in (row[0].tags or [])]
    if len(kept) == len(shortlist.rows):
        return shortlist
    trimmed = copy(shortlist)
    trimmed.rows = kept
    trimmed.total = max(0, shortlist.total - (len(shortlist.rows) - len(kept)))
    return trimmed


class Listed(Protocol):
    @property
    def ticket(self) -> Ticket: ...


Line = TypeVar("Line", bound=Listed)


def lines_by_person(
    people: Recipients,
    found: dict[Assignee, Shortlist],
    *,
    limit: int,
    order: Callable[[tuple[Ticket, Any]], Any],
    lines_of: Callable[[list[tuple[Ticket, Any]]], list[Line]],
) -> tuple[list[tuple[str, list[Line], Total]], Shortlist]:
    """As by_person, each recipient's rows made lines with their list's total, by person.

    Every recipient's lines come from one `lines_of` call, so what they share is read once.
    """
    routed, unrouted = by_person(people, found, limit=limit, order=order)
    every = lines_of([row for shortlist in routed.values() for row in shortlist.rows])
    by_ticket = {line.ticket.id: line for line in every}
    per_person = [
        (
            person,
            [by_ticket[ticket.id] for ticket, _ in shortlist.rows if ticket.id in by_ticket],
            Total.of(shortlist),
        )
        for person, shortlist in sorted(routed.items())
    ]
    return per_person, unrouted


def digest_recipient(services: Services, *, channel: str, ts: str) -> str | None:
    """Who a digest message was sent to, from the ledger (None: not a message we know)."""
    with services.session() as session:
        found = nudge_for_message(session=session, channel=channel, ts=ts)
    return None if found is None else found.recipient
