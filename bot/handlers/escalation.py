"""*Escalate* → the modal → the lead; the lead's *Acknowledge* and *I'll contact the client*."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.access import asker_of, ticket_refusal
from bot.blocks.escalation import (
    NO_EXPLANATION,
    NO_LEAD,
    NO_REASON,
    NOTE_BLOCK,
    REASON_BLOCK,
    escalation_modal,
    lead_dm_blocks,
    lead_dm_text,
    not_yours_text,
    notice_modal,
    read_escalation_modal,
    taken_back_text,
)
from bot.chargeable import AlreadyBack, NotAllowed, take_back
from bot.escalation import (
    Landed,
    Message,
    NoLead,
    NotYours,
    answer_escalation,
    escalation_target,
    escalation_told,
    raise_escalation,
)
from bot.listeners import acked_then, within_budget
from bot.services import services_of
from bot.slack.people import SlackPeople
from bot.slack.post import open_view, post, update
from bot.store.escalations import CHARGEABLE, REASONS
from bot.surfaces import for_ticket_people
from bot.zendesk.client import ZendeskError

GONE = "That escalation no longer exists."
OUT_OF_DATE = "That button is out of date; type `/ticket ID` to see the ticket again."
# Where the modal's check leaves the lazy listener what to escalate.
TO_RAISE = "escalation_to_raise"


def register(app: App) -> None:
    app.action(ids.ESCALATE)(acked_then(for_ticket_people(escalate_clicked)))
    app.view(ids.ESCALATION_MODAL)(
        ack=within_budget(check_escalation), lazy=[for_ticket_people(escalation_submitted)]
    )
    app.action(ids.ESCALATION_ACKNOWLEDGE)(acked_then(for_ticket_people(acknowledge_clicked)))
    app.action(ids.ESCALATION_CONTACT)(acked_then(for_ticket_people(contact_clicked)))
    app.action(ids.CHARGEABLE_TAKE_BACK)(acked_then(for_ticket_people(take_back_clicked)))


def parse_escalate_value(raw: str) -> tuple[int, str | None] | None:
    """A button's value: the ticket, and maybe a reason to choose already ("101:post-update")."""
    ticket, _, reason = raw.partition(":")
    if not ticket.isdigit() or (reason and reason not in REASONS):
        return None
    return int(ticket), reason or None


def escalate_clicked(body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    parsed = parse_escalate_value(str(action.get("value") or ""))
    if parsed is None:
        view = notice_modal(OUT_OF_DATE)
    else:
        ticket_id, reason = parsed
        try:
            target = escalation_target(services, ticket_id)
        except ZendeskError as error:
            view = notice_modal(f":warning: I couldn't read ticket #{ticket_id}: {error}.")
        else:
            view = (
                notice_modal(NO_LEAD)
                if target.lead is None
                else escalation_modal(
                    target.ticket.id,
                    target.ticket.subject,
                    target.client,
                    target.lead,
                    reason=reason,
                )
            )
    open_view(services.slack, trigger_id=body["trigger_id"], view=view)


def check_escalation(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """The modal is refused with the reason shown in it, or closed and the escalation raised."""
    services = services_of(context)
    if ticket_refusal(services, asker_of(body)) is not None:
        # No ticket is read for someone not allowed: the modal closes, and the access check
        # after the ack tells them who may escalate.
        ack()
        return
    reason, note = read_escalation_modal(view.get("state", {}).get("values", {}))
    if reason is None:
        ack(response_action="errors", errors={REASON_BLOCK: NO_REASON})
        return
    if reason == CHARGEABLE and not note:
        ack(response_action="errors", errors={NOTE_BLOCK: NO_EXPLANATION})
        return
    raw = str(view.get("private_metadata") or "")
    if not raw.isdigit():
        ack(response_action="errors", errors={REASON_BLOCK: OUT_OF_DATE})
        return
    try:
        target = escalation_target(services, int(raw))
    except ZendeskError as error:
        ack(
            response_action="errors", errors={REASON_BLOCK: f"I couldn't read the ticket: {error}."}
        )
        return
    if target.lead is None:
        ack(response_action="errors", errors={REASON_BLOCK: NO_LEAD})
        return
    ack()
    context[TO_RAISE] = {"ticket_id": int(raw), "reason": reason, "note": note}


def escalation_submitted(body: dict[str, Any], context: BoltContext) -> None:
    submitted = context.get(TO_RAISE)
    if submitted is None:
        return  # refused in the ack, or the ack failed and has been reported
    services = services_of(context)
    user = body["user"]["id"]
    try:
        raised = raise_escalation(
            services,
            submitted["ticket_id"],
            raised_by=user,
            reason=submitted["reason"],
            note=submitted["note"],
            email_of=SlackPeople(services.slack).email,
        )
    except (NoLead, ZendeskError) as error:
        text = (
            NO_LEAD if isinstance(error, NoLead) else f":warning: Nothing was escalated: {error}."
        )
        post(services.slack, channel=user, text=text)
        return
    lead_dm = _send(services.slack, raised.to_lead)
    channel_line = None if raised.to_channel is None else _send(services.slack, raised.to_channel)
    answer = escalation_told(
        services,
        raised,
        lead_dm=lead_dm,
        channel_line=channel_line,
        name_of=SlackPeople(services.slack).name,
    )
    _send(services.slack, answer)


def _send(client: WebClient, message: Message) -> Landed:
    sent = post(
        client,
        channel=message.channel,
        text=message.text,
        blocks=message.blocks,
        thread_ts=message.thread_ts,
    )
    return None if sent is None else (sent.channel, sent.ts)


def acknowledge_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    _answer(body, action, respond, context, contacting=False)


def contact_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    _answer(body, action, respond, context, contacting=True)


def _answer(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    *,
    contacting: bool,
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    try:
        answered = (
            answer_escalation(services, int(raw), user=body["user"]["id"], contacting=contacting)
            if raw.isdigit()
            else None
        )
    except NotYours as refused:
        respond(
            text=not_yours_text(refused.lead),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    if answered is None:
        respond(text=GONE, response_type="ephemeral", replace_original=False)
        return
    escalation, target, messages = answered
    for message in messages:
        _send(services.slack, message)
    respond(
        replace_original=True,
        text=lead_dm_text(escalation, target.label),
        blocks=lead_dm_blocks(escalation, target.link, services.calendar, now=services.now()),
    )


def take_back_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """The lead or the raiser undoes a chargeable reassignment; the other one is told."""
    services = services_of(context)
    raw = str(action.get("value") or "")
    user = body["user"]["id"]
    people = SlackPeople(services.slack)
    try:
        done = (
            take_back(services, int(raw), user=user, name_of=people.name) if raw.isdigit() else None
        )
    except NotAllowed:
        done, problem = (
            None,
            "Only the delivery lead or the person who escalated it can take it back.",
        )
    except AlreadyBack:
        done, problem = None, "It has been taken back already: nothing changed."
    except ZendeskError as error:
        done, problem = None, f":warning: I couldn't take it back: {error}. Nothing changed."
    else:
        problem = GONE
    if done is None:
        respond(text=problem, response_type="ephemeral", replace_original=False)
        return
    escalation = done.escalation
    text = taken_back_text(escalation, done.link)
    lead_text = lead_dm_text(escalation, done.link)
    lead_blocks = lead_dm_blocks(escalation, done.link, services.calendar, now=services.now())
    if user == escalation.lead:
        respond(replace_original=True, text=lead_text, blocks=lead_blocks)
    else:
        respond(replace_original=True, text=text)
        if escalation.lead_dm_channel and escalation.lead_dm_ts:
            update(
                services.slack,
                channel=escalation.lead_dm_channel,
                ts=escalation.lead_dm_ts,
                text=lead_text,
                blocks=lead_blocks,
            )
    post(services.slack, channel=done.other, text=text)
