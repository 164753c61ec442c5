"""Chargeable work changes hands: the *Out of scope — chargeable work* escalation reassigns the
ticket in Zendesk to the client's delivery lead, and *Take it back* undoes that.

The lead's Zendesk user is the one with their Slack email; without one the ticket goes to the
group named by ROTABOT_CHARGEABLE_GROUP, else it stays where it is and everyone is told why.
Zendesk refusing leaves the escalation raised: the lead and the note still say what happened.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.blocks.escalation import take_back_note, ticket_link
from bot.blocks.kit import ticket_url
from bot.services import Services, zendesk_of
from bot.store.escalations import (
    Escalation,
    chargeable_between,
    escalation_by_id,
    save_escalation,
)
from bot.store.reports import client_name
from bot.store.tickets import set_assignment, ticket_by_id, tickets_by_ids
from bot.zendesk.client import ZendeskError

log = logging.getLogger(__name__)

NO_CLIENT = "No client"


class NotAllowed(Exception):
    """Only the lead or the person who raised it may take a chargeable ticket back."""


class AlreadyBack(Exception):
    """The ticket was taken back already (or never reassigned)."""


def reassign(
    services: Services, escalation: Escalation, *, email_of: Callable[[str], str | None]
) -> None:
    """Assign the ticket to the lead (or the chargeable group) and tag it; the outcome is
    recorded on the escalation (reassigned_… or reassign_error), never raised."""
    settings = services.settings
    try:
        zendesk = zendesk_of(services)
        before = zendesk.ticket(escalation.ticket_id)
        changes, label = _destination(services, email_of(escalation.lead))
        if changes is None:
            escalation.reassign_error = label
            return
        changes["additional_tags"] = [settings.chargeable_tag]
        after = zendesk.update_ticket(escalation.ticket_id, changes)
    except ZendeskError as error:
        log.warning("escalation %s: not reassigned: %s", escalation.id, error)
        escalation.reassign_error = str(error)[:500]
        return
    escalation.previous_assignee_id = _int(before.get("assignee_id"))
    escalation.previous_group_id = _int(before.get("group_id"))
    escalation.reassigned_assignee_id = _int(changes.get("assignee_id"))
    escalation.reassigned_group_id = _int(changes.get("group_id"))
    escalation.reassigned_to = label[:255]
    escalation.reassigned_tag = settings.chargeable_tag
    escalation.reassign_error = None
    _mirror(services, escalation.ticket_id, after)


def _destination(
    services: Services, lead_email: str | None
) -> tuple[dict[str, object] | None, str]:
    """The ticket changes and who it goes to, or None and why it cannot be reassigned."""
    zendesk = zendesk_of(services)
    user = zendesk.user_by_email(lead_email) if lead_email else None
    if user is not None and user.get("role") in ("agent", "admin"):
        return {"assignee_id": user["id"]}, str(user.get("name") or lead_email)
    group_name = services.settings.chargeable_group
    why = (
        "the lead has no Zendesk agent account with their Slack email"
        if lead_email
        else "Slack does not show the lead's email"
    )
    if group_name is None:
        return None, f"{why}, and ROTABOT_CHARGEABLE_GROUP names no group to assign it to"
    wanted = group_name.strip().lower()
    for group in zendesk.groups():
        if str(group.get("name", "")).strip().lower() == wanted and not group.get("deleted"):
            return {"group_id": group["id"], "assignee_id": None}, f"the group {group['name']}"
    return None, f"{why}, and Zendesk has no group called {group_name!r} (ROTABOT_CHARGEABLE_GROUP)"


@dataclass(frozen=True)
class TakenBack:
    escalation: Escalation
    link: str
    # The other person (lead or raiser), who is told.
    other: str


def take_back(
    services: Services, escalation_id: int, *, user: str, name_of: Callable[[str], str]
) -> TakenBack | None:
    """Undo the assignment and the tag; None when there is no such escalation.

    Raises NotAllowed, AlreadyBack, or ZendeskError (nothing changed)."""
    with services.session() as session:
        escalation = escalation_by_id(session=session, escalation_id=escalation_id)
        if escalation is None:
            return None
        session.expunge(escalation)
    if user not in (escalation.lead, escalation.raised_by):
        raise NotAllowed()
    if not escalation.reassigned or escalation.reassigned_tag is None:
        raise AlreadyBack()
    changes: dict[str, object] = {
        "assignee_id": escalation.previous_assignee_id,
        "remove_tags": [escalation.reassigned_tag],
        "comment": {"body": take_back_note(name_of(user)), "public": False},
    }
    if escalation.previous_group_id is not None or escalation.reassigned_group_id is not None:
        changes["group_id"] = escalation.previous_group_id
    after = zendesk_of(services).update_ticket(escalation.ticket_id, changes)
    now = services.now()
    with services.session() as session:
        # Locked: of two clicks at once, one undoes it and the other hears it is done.
        stored = escalation_by_id(session=session, escalation_id=escalation_id, for_update=True)
        assert stored is not None
        if stored.taken_back_at is not None:
            raise AlreadyBack()
        stored.taken_back_by, stored.taken_back_at = user, now
        save_escalation(session=session, escalation=stored)
        session.flush()
        session.expunge(stored)
        ticket = ticket_by_id(session=session, ticket_id=stored.ticket_id)
        client = None if ticket is None else client_name(session, ticket)
    _mirror(services, stored.ticket_id, after)
    link = ticket_link(
        stored.ticket_id,
        "" if ticket is None else ticket.subject,
        client,
        ticket_url(services.settings.zendesk_url, stored.ticket_id),
    )
    other = stored.raised_by if user == stored.lead else stored.lead
    return TakenBack(escalation=stored, link=link, other=other)


def _mirror(services: Services, ticket_id: int, data: dict[str, object]) -> None:
    """The mirror follows at once, so digests stop (or start) listing the ticket for people."""
    tags = data.get("tags")
    with services.session() as session:
        set_assignment(
            session=session,
            ticket_id=ticket_id,
            assignee_id=_int(data.get("assignee_id")),
            tags=[str(t) for t in tags] if isinstance(tags, list) else None,
        )


def _int(raw: object) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def chargeable_by_client(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Tickets escalated as chargeable in [start, end) and still so, per client."""
    escalations = chargeable_between(session=session, start=start, end=end)
    ticket_ids = sorted({e.ticket_id for e in escalations})
    tickets = tickets_by_ids(session=session, ticket_ids=ticket_ids)
    counts: Counter[str] = Counter()
    for ticket_id in ticket_ids:
        ticket = tickets.get(ticket_id)
        counts[(client_name(session, ticket) if ticket else None) or NO_CLIENT] += 1
    return dict(sorted(counts.items()))


def record_reassignment(services: Services, escalation: Escalation) -> None:
    with services.session() as session:
        save_escalation(session=session, escalation=session.merge(escalation))
