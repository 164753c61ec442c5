"""The client-waiting list: tickets whose client waits on us too long, as digest lines."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.blocks.digest import WaitingLine
from bot.blocks.kit import ticket_url
from bot.nudges.rules import client_waiting, waiting_cutoffs
from bot.store.digest_lines import repeatedly_nudged
from bot.store.shortlists import Assignee, Shortlist, clients_waiting, shortlists
from bot.store.tickets import Ticket, tickets_by_ids
from bot.store.zendesk_people import organization_names
from bot.tickets.flags import ticket_flags
from bot.worktime import WorkCalendar

log = logging.getLogger(__name__)


def waiting_shortlists(
    session: Session,
    now: datetime,
    *,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    limit: int,
    by_assignee: bool = False,
    assignees: Collection[Assignee] | None = None,
    not_nudged: tuple[str, date] | None = None,
) -> dict[Assignee, Shortlist]:
    """Tickets whose client waits on us too long, first `limit` most waiting first, and counts;
    `not_nudged=(job, day)` leaves out those a sent digest of that job carried that day."""
    cutoffs = waiting_cutoffs(
        calendar, now, waiting_hours=waiting_hours, no_reply_days=no_reply_days
    )
    selection = clients_waiting(cutoffs, not_nudged=not_nudged)
    return shortlists(session, selection, limit=limit, by_assignee=by_assignee, assignees=assignees)


def waiting_lines(
    session: Session,
    rows: Iterable[tuple[Ticket, Any]],
    now: datetime,
    *,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    zendesk_url: str | None,
    authorised_tag: str | None = None,
    quiet: bool = False,
) -> list[WaitingLine]:
    """Tickets (each with since when it waits) as lines with the rule's reason; a ticket not
    waiting since then is left out (and logged unless `quiet`: the SQL should agree)."""
    cutoffs = waiting_cutoffs(
        calendar, now, waiting_hours=waiting_hours, no_reply_days=no_reply_days
    )
    clients = organization_names(session=session)
    rows = list(rows)
    flags = ticket_flags(session, [t for t, _ in rows], authorised_tag=authorised_tag)
    lines = []
    for ticket, since in rows:
        found = client_waiting(
            ticket,
            now=now,
            calendar=calendar,
            waiting_hours=waiting_hours,
            no_reply_days=no_reply_days,
            cutoffs=cutoffs,
        )
        if found is None or found.since != since:
            if not quiet:
                log.error("ticket %s selected as waiting since %s; it is not", ticket.id, since)
            continue
        lines.append(
            WaitingLine(
                ticket=ticket,
                waiting=found,
                client=clients.get(ticket.organization_id or 0),
                url=ticket_url(zendesk_url, ticket.id),
                flags=flags[ticket.id],
            )
        )
    return lines


def most_waiting_first(row: tuple[Ticket, Any]) -> tuple[datetime, int]:
    ticket, since = row
    return since, ticket.id


def still_waiting_lines(
    session: Session,
    now: datetime,
    today: date,
    *,
    job: str,
    days: int,
    calendar: WorkCalendar,
    waiting_hours: int,
    no_reply_days: int,
    zendesk_url: str | None,
    authorised_tag: str | None = None,
) -> list[WaitingLine]:
    """Waiting spells sent digests of `job` carried on `days` earlier working days, the client
    still waiting."""
    repeated = repeatedly_nudged(session=session, job=job, before=today, days=days)
    if not repeated:
        return []
    tickets = tickets_by_ids(session=session, ticket_ids=sorted({t for t, _ in repeated}))
    rows = [(tickets[t], since) for t, since in sorted(repeated, key=str) if t in tickets]
    # A row whose spell has ended (a reply since, a new spell) is not waiting since then.
    lines = waiting_lines(
        session,
        rows,
        now,
        calendar=calendar,
        waiting_hours=waiting_hours,
        no_reply_days=no_reply_days,
        zendesk_url=zendesk_url,
        authorised_tag=authorised_tag,
        quiet=True,
    )
    return sorted(lines, key=lambda line: (line.waiting.since, line.ticket.id))
