"""Escalating a ticket to its client's delivery lead, and the lead's answer.

The lead is `/rota lead` for the ticket's client (its Zendesk organization) in the workspace's
rota, else that rota's default lead. Raising one tells the lead (DM with buttons), the rota
channel (a line whose thread carries the follow-ups) and Zendesk (an internal note). Zendesk
failing never stops the lead being told: the note is kept pending and retried by the jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.blocks.escalation import (
    acknowledged_text,
    channel_blocks,
    channel_text,
    lead_dm_blocks,
    lead_dm_text,
    raised_text,
    raiser_blocks,
    shared_channel_text,
    ticket_label,
    ticket_link,
    zendesk_note,
)
from bot.blocks.kit import ticket_url
from bot.chargeable import reassign
from bot.services import Services, zendesk_of
from bot.slack.channels import shared_outside
from bot.store.escalations import (
    ACKNOWLEDGED,
    CHARGEABLE,
    CONTACTING,
    RAISED,
    REASONS,
    Escalation,
    add_escalation,
    escalation_by_id,
    pending_zendesk_notes,
    save_escalation,
)
from bot.store.reports import client_name, workspace_rota
from bot.store.rota import lead_for_client
from bot.store.tickets import Ticket, ticket_by_id, tickets_by_ids
from bot.tickets.refresh import mirrored_or_fetched
from bot.zendesk.client import ZendeskError

log = logging.getLogger(__name__)


class NoLead(Exception):
    """Nobody is set as the delivery lead for this ticket's client."""


class NotYours(Exception):
    """Someone other than the lead pressed the lead's button."""

    def __init__(self, lead: str) -> None:
        super().__init__(f"the escalation belongs to {lead}")
        self.lead = lead


@dataclass(frozen=True)
class Target:
    """The ticket being escalated, its client, and the lead it goes to (None: nobody set)."""

    ticket: Ticket
    client: str | None
    url: str | None
    lead: str | None
    channel_id: str | None

    @property
    def label(self) -> str:
        return ticket_label(self.ticket.id, self.ticket.subject, self.client)

    @property
    def link(self) -> str:
        return ticket_link(self.ticket.id, self.ticket.subject, self.client, self.url)


def escalation_target(services: Services, ticket_id: int) -> Target:
    """Raises ZendeskError when the ticket is neither mirrored nor readable from Zendesk."""
    ticket = mirrored_or_fetched(services, ticket_id)
    return _target(services, ticket)


def _target(services: Services, ticket: Ticket) -> Target:
    with services.session() as session:
        client = client_name(session, ticket)
        rota = workspace_rota(session=session)
        lead = None
        if rota is not None and rota.id is not None:
            lead = lead_for_client(session=session, rota_id=rota.id, client=client)
    return Target(
        ticket=ticket,
        client=client,
        url=ticket_url(services.settings.zendesk_url, ticket.id),
        lead=lead,
        channel_id=None if rota is None else rota.channel_id,
    )


@dataclass(frozen=True)
class Message:
    """A message to send: the domain says what, the surface posts it."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class Raised:
    """An escalation just recorded, and who must be told: the lead, and the rota channel."""

    escalation: Escalation
    target: Target
    to_lead: Message
    to_channel: Message | None


# Where Slack put a message (channel, ts), or None when it refused it.
Landed = tuple[str, str] | None


def raise_escalation(
    services: Services,
    ticket_id: int,
    *,
    raised_by: str,
    reason: str,
    note: str,
    email_of: Callable[[str], str | None] = lambda user: None,
) -> Raised:
    """Record the escalation; the messages for the lead and the channel are the caller's.

    Chargeable work is reassigned in Zendesk first (to the lead found by `email_of`), so the
    lead's DM can say the ticket is theirs."""
    if reason not in REASONS:
        raise ValueError(f"not an escalation reason: {reason!r}")
    target = escalation_target(services, ticket_id)
    if target.lead is None:
        raise NoLead()
    now = services.now()
    with services.session() as session:
        escalation = add_escalation(
            session=session,
            ticket_id=ticket_id,
            raised_by=raised_by,
            reason=reason,
            note=note,
            lead=target.lead,
            now=now,
        )
        session.expunge(escalation)
    if reason == CHARGEABLE:
        reassign(services, escalation, email_of=email_of)
        with services.session() as session:
            save_escalation(session=session, escalation=session.merge(escalation))
    calendar = services.calendar
    to_channel = None
    # Ticket content stays out of a rota channel shared with another organization (Slack
    # Connect): the line there says only that the ticket was escalated and to whom (the lead's
    # DM has the rest), so the thread still has a home for the follow-ups.
    if target.channel_id is not None and shared_outside(services.slack, target.channel_id):
        to_channel = Message(channel=target.channel_id, text=shared_channel_text(escalation))
    elif target.channel_id is not None:
        to_channel = Message(
            channel=target.channel_id,
            text=channel_text(escalation, target.label),
            blocks=channel_blocks(escalation, target.link),
        )
    return Raised(
        escalation=escalation,
        target=target,
        to_lead=Message(
            channel=target.lead,
            text=lead_dm_text(escalation, target.label),
            blocks=lead_dm_blocks(escalation, target.link, calendar, now=now),
        ),
        to_channel=to_channel,
    )


def escalation_told(
    services: Services,
    raised: Raised,
    *,
    lead_dm: Landed,
    channel_line: Landed,
    name_of: Callable[[str], str],
) -> Message:
    """Remember where the lead and the channel were told, add Zendesk's internal note (with
    the people's names from `name_of`); the answer for the person who raised it."""
    escalation = raised.escalation
    if lead_dm is not None:
        escalation.lead_dm_channel, escalation.lead_dm_ts = lead_dm
    if channel_line is not None:
        escalation.channel_id, escalation.channel_ts = channel_line
    _add_note(services, escalation, name_of)
    with services.session() as session:
        save_escalation(session=session, escalation=session.merge(escalation))
    text = raised_text(
        escalation,
        raised.target.link,
        lead_told=escalation.lead_dm_ts is not None,
        note_problem=escalation.zendesk_error,
    )
    return Message(channel=escalation.raised_by, text=text, blocks=raiser_blocks(escalation, text))


def answer_escalation(
    services: Services, escalation_id: int, *, user: str, contacting: bool
) -> tuple[Escalation, Target, list[Message]] | None:
    """The lead acknowledges (or will contact the client); None when there is no such record.

    The messages are for the thread under the channel line and the person who raised it:
    they hear about it once per step, so pressing Acknowledge twice says nothing new.
    """
    now = services.now()
    with services.session() as session:
        # Locked, so a double click tells the thread and the raiser only once.
        escalation = escalation_by_id(session=session, escalation_id=escalation_id, for_update=True)
        if escalation is None:
            return None
        if escalation.lead != user:
            raise NotYours(escalation.lead)
        new_state = CONTACTING if contacting else ACKNOWLEDGED
        changed = escalation.state == RAISED or (
            escalation.state == ACKNOWLEDGED and new_state == CONTACTING
        )
        if changed:
            escalation.state = new_state
            escalation.acknowledged_at = escalation.acknowledged_at or now
            if contacting:
                escalation.contacting_at = now
            save_escalation(session=session, escalation=escalation)
        session.flush()
        session.expunge(escalation)
        ticket = ticket_by_id(session=session, ticket_id=escalation.ticket_id)
    target = _target(services, ticket) if ticket is not None else None
    if target is None:
        return None
    messages = []
    if changed:
        text = acknowledged_text(escalation, target.link)
        if escalation.channel_id and escalation.channel_ts:
            in_thread = (
                acknowledged_text(escalation, f"ticket #{escalation.ticket_id}")
                if shared_outside(services.slack, escalation.channel_id)
                else text
            )
            messages.append(
                Message(
                    channel=escalation.channel_id, text=in_thread, thread_ts=escalation.channel_ts
                )
            )
        messages.append(Message(channel=escalation.raised_by, text=text))
    return escalation, target, messages


def with_links(
    session: Session, escalations: list[Escalation], *, zendesk_url: str | None
) -> list[tuple[Escalation, str]]:
    """Escalations with their ticket links, for `escalations_section` (App Home, summary)."""
    found = tickets_by_ids(session=session, ticket_ids=[e.ticket_id for e in escalations])
    pairs = []
    for escalation in escalations:
        ticket = found.get(escalation.ticket_id)
        subject = "" if ticket is None else ticket.subject
        client = None if ticket is None else client_name(session, ticket)
        url = ticket_url(zendesk_url, escalation.ticket_id)
        pairs.append((escalation, ticket_link(escalation.ticket_id, subject, client, url)))
    return pairs


def retry_pending_notes(services: Services, *, name_of: Callable[[str], str]) -> list[str]:
    """Add the internal notes Zendesk refused earlier; the problems that remain, as sentences."""
    if services.zendesk is None:
        return []
    with services.session() as session:
        pending = pending_zendesk_notes(session=session)
        for escalation in pending:
            session.expunge(escalation)
    problems = []
    for escalation in pending:
        _add_note(services, escalation, name_of)
        with services.session() as session:
            save_escalation(session=session, escalation=session.merge(escalation))
        if escalation.zendesk_error is not None:
            problems.append(
                f"the internal note for escalation {escalation.id} (ticket "
                f"#{escalation.ticket_id}) is still pending: {escalation.zendesk_error}"
            )
    return problems


def _add_note(services: Services, escalation: Escalation, name_of: Callable[[str], str]) -> None:
    # Names, not Slack ids: Zendesk's readers would not know the ids.
    body = zendesk_note(
        escalation,
        raised_by=name_of(escalation.raised_by),
        lead=name_of(escalation.lead),
    )
    try:
        zendesk_of(services).update_ticket(
            escalation.ticket_id, {"comment": {"body": body, "public": False}}
        )
    except ZendeskError as error:
        log.warning("escalation %s: no internal note: %s", escalation.id, error)
        escalation.zendesk_note_ok = False
        escalation.zendesk_error = str(error)[:500]
        return
    escalation.zendesk_note_ok = True
    escalation.zendesk_error = None
