"""*Ask for help…* → the modal → the helper's DM: *Accept*, *Suggest another time*, *Decline*."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot import ids
from bot.access import asker_of, ticket_refusal
from bot.blocks.escalation import ticket_label
from bot.blocks.help import (
    DAY_BLOCK,
    HELPER_BLOCK,
    accepted_text,
    asked_text,
    cancelled_text,
    declined_text,
    help_modal,
    notice_modal,
    part_name,
    question_blocks,
    question_text,
    read_help_form,
    suggest_modal,
    suggested_text,
)
from bot.blocks.kit import mention
from bot.helping.booking import (
    NotYourTurn,
    Settled,
    SlotProblem,
    answer_help,
    ask_for_help,
    check_people,
    check_slot,
    remember_question,
    request_for,
    suggest_time,
)
from bot.listeners import acked_then, within_budget
from bot.services import Services, services_of
from bot.slack.post import open_view, post, update
from bot.store.help_requests import ACCEPTED
from bot.store.reports import client_name
from bot.surfaces import for_ticket_people, settle_part
from bot.tickets.refresh import mirrored_or_fetched
from bot.zendesk.client import ZendeskError

OUT_OF_DATE = "That button is out of date; type `/ticket ID` to see the ticket again."
GONE = "That request for help no longer exists."
SETTLED = "That request has been answered already: nothing changed."
# Where a modal's check leaves the lazy listener what to do.
TO_ASK = "help_to_ask"
TO_SUGGEST = "help_to_suggest"


def register(app: App) -> None:
    app.action(ids.HELP_OPEN)(acked_then(for_ticket_people(ask_clicked)))
    app.view(ids.HELP_MODAL)(
        ack=within_budget(check_help_modal), lazy=[for_ticket_people(help_submitted)]
    )
    app.action(ids.HELP_ACCEPT)(acked_then(for_ticket_people(accept_clicked)))
    app.action(ids.HELP_DECLINE)(acked_then(for_ticket_people(decline_clicked)))
    app.action(ids.HELP_SUGGEST)(acked_then(for_ticket_people(suggest_clicked)))
    app.view(ids.HELP_SUGGEST_MODAL)(
        ack=within_budget(check_suggestion), lazy=[for_ticket_people(suggestion_submitted)]
    )


def _label(services: Services, ticket_id: int) -> str:
    ticket = mirrored_or_fetched(services, ticket_id)
    with services.session() as session:
        client = client_name(session, ticket)
    return ticket_label(ticket.id, ticket.subject, client)


def ask_clicked(body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    today = services.calendar.next_working_time(services.now())
    if not raw.isdigit():
        view = notice_modal(OUT_OF_DATE)
    else:
        try:
            view = help_modal(
                int(raw), _label(services, int(raw)), day=services.calendar.today(today)
            )
        except ZendeskError as error:
            view = notice_modal(f":warning: I couldn't read ticket #{raw}: {error}.")
    open_view(services.slack, trigger_id=body["trigger_id"], view=view)


def check_help_modal(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Refused with the reason on its field (nothing typed is lost), or closed and asked."""
    services = services_of(context)
    if ticket_refusal(services, asker_of(body)) is not None:
        ack()  # the access check after the ack says who may
        return
    form = read_help_form(view.get("state", {}).get("values", {}))
    raw = str(view.get("private_metadata") or "")
    missing = form.missing()
    if not raw.isdigit():
        missing[HELPER_BLOCK] = OUT_OF_DATE
    if missing:
        ack(response_action="errors", errors=missing)
        return
    assert form.day and form.at and form.minutes and form.helper
    asker = body["user"]["id"]
    try:
        starts_at = check_slot(
            services.calendar, form.day, form.at, form.minutes, now=services.now()
        )
        check_people(services, asker=asker, helper=form.helper, day=form.day)
    except SlotProblem as problem:
        ack(response_action="errors", errors={problem.block: problem.text})
        return
    ack()
    context[TO_ASK] = {
        "ticket_id": int(raw),
        "helper": form.helper,
        "starts_at": starts_at,
        "minutes": form.minutes,
        "what": form.what,
    }


def help_submitted(body: dict[str, Any], context: BoltContext) -> None:
    asked = context.get(TO_ASK)
    if asked is None:
        return
    services = services_of(context)
    user = body["user"]["id"]
    view = ask_for_help(services, asker=user, **asked)
    now = services.now()
    sent = post(
        services.slack,
        channel=view.helper,
        text=question_text(view),
        blocks=question_blocks(view, services.calendar, now=now),
    )
    if sent is None:
        post(
            services.slack,
            channel=user,
            text=f":warning: I couldn't send {mention(view.helper)} a DM: please ask them "
            "yourself. The request is recorded.",
        )
        return
    remember_question(services, view.request_id, channel=sent.channel, ts=sent.ts)
    post(services.slack, channel=user, text=asked_text(view, services.calendar, now=now))


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _answer(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    *,
    accept: bool,
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    user = body["user"]["id"]
    try:
        answered = (
            answer_help(services, int(raw), user=user, accept=accept) if raw.isdigit() else None
        )
    except NotYourTurn as turn:
        _tell(respond, f"Sorry, this question is for {mention(turn.waiting_on)} to answer.")
        return
    except Settled:
        _tell(respond, SETTLED)
        return
    if answered is None:
        _tell(respond, GONE)
        return
    view, now = answered.view, services.now()
    if answered.state == ACCEPTED:
        text = accepted_text(view, services.calendar, now=now)
    elif answered.cancelled:
        text = cancelled_text(view, user)
    else:
        text = declined_text(view, user)
    settle_part(body, respond, part_name(view.request_id), text)
    post(services.slack, channel=view.asker if user == view.helper else view.helper, text=text)


def accept_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    _answer(body, action, respond, context, accept=True)


def decline_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    _answer(body, action, respond, context, accept=False)


def suggest_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    request = request_for(services, int(raw)) if raw.isdigit() else None
    if request is None or request.id is None:
        _tell(respond, GONE)
        return
    if request.waiting_on != body["user"]["id"]:
        _tell(respond, f"Sorry, this question is for {mention(request.waiting_on)} to answer.")
        return
    try:
        label = _label(services, request.ticket_id)
    except ZendeskError:
        label = f"#{request.ticket_id}"
    day = services.calendar.today(request.starts_at)
    open_view(
        services.slack,
        trigger_id=body["trigger_id"],
        view=suggest_modal(request.id, label, day=day),
    )


def check_suggestion(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    services = services_of(context)
    if ticket_refusal(services, asker_of(body)) is not None:
        ack()
        return
    form = read_help_form(view.get("state", {}).get("values", {}))
    raw = str(view.get("private_metadata") or "")
    request = request_for(services, int(raw)) if raw.isdigit() else None
    if request is None:
        ack(response_action="errors", errors={DAY_BLOCK: GONE})
        return
    missing = {k: v for k, v in form.missing().items() if k in (DAY_BLOCK, "time")}
    if missing:
        ack(response_action="errors", errors=missing)
        return
    assert form.day and form.at
    try:
        starts_at = check_slot(
            services.calendar, form.day, form.at, request.minutes, now=services.now()
        )
        check_people(services, asker=request.asker, helper=request.helper, day=form.day)
    except SlotProblem as problem:
        block = DAY_BLOCK if problem.block == HELPER_BLOCK else problem.block
        ack(response_action="errors", errors={block: problem.text})
        return
    ack()
    context[TO_SUGGEST] = {"request_id": int(raw), "starts_at": starts_at}


def suggestion_submitted(body: dict[str, Any], context: BoltContext) -> None:
    suggested = context.get(TO_SUGGEST)
    if suggested is None:
        return
    services = services_of(context)
    user = body["user"]["id"]
    try:
        answered = suggest_time(
            services, suggested["request_id"], user=user, starts_at=suggested["starts_at"]
        )
    except NotYourTurn as turn:
        post(services.slack, channel=user, text=f"That question is {mention(turn.waiting_on)}'s.")
        return
    except Settled:
        post(services.slack, channel=user, text=SETTLED)
        return
    if answered is None:
        post(services.slack, channel=user, text=GONE)
        return
    view, now = answered.view, services.now()
    if answered.question is not None:
        channel, ts = answered.question
        update(
            services.slack,
            channel=channel,
            ts=ts,
            text=suggested_text(view, services.calendar, now=now),
        )
    sent = post(
        services.slack,
        channel=view.waiting_on,
        text=question_text(view),
        blocks=question_blocks(view, services.calendar, now=now),
    )
    if sent is not None:
        remember_question(services, view.request_id, channel=sent.channel, ts=sent.ts)
