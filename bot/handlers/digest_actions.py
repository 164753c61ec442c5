"""The digests' buttons: *Priority is right*, the priority select, and *Open in Zendesk*."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot import ids
from bot.blocks.digest import changed_text, confirmed_text, line_done
from bot.blocks.ticket import parse_priority_option
from bot.listeners import acked_then
from bot.nudges.routing import DIGEST, digest_recipient
from bot.services import services_of
from bot.surfaces import for_ticket_people
from bot.tickets.priority import change_priority, confirm_priority
from bot.zendesk.client import ZendeskError

OUT_OF_DATE = "That digest is out of date; type `/ticket ID` to see the ticket."


def register(app: App) -> None:
    app.action(ids.DIGEST_PRIORITY_RIGHT)(acked_then(for_ticket_people(digest_priority_right)))
    app.action(ids.DIGEST_PRIORITY_SET)(acked_then(for_ticket_people(digest_priority_chosen)))
    app.action(ids.OPEN_IN_ZENDESK)(open_in_zendesk_clicked)


def _refused(body: dict[str, Any], context: BoltContext, respond: Respond) -> bool:
    """Whether the digest was meant for someone else; if so, they are told so politely."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return False
    recipient = digest_recipient(services_of(context), channel=channel, ts=ts)
    if recipient is None or recipient == body["user"]["id"]:
        return False
    _tell(respond, f"Sorry, this digest was sent to <@{recipient}>; only they can answer it here.")
    return True


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _update_line(body: dict[str, Any], respond: Respond, ticket_id: int, text: str) -> None:
    message = body.get("message") or {}
    respond(
        replace_original=True,
        text=str(message.get("text") or text),
        blocks=line_done(list(message.get("blocks") or []), ticket_id, text),
    )


def digest_priority_right(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    if _refused(body, context, respond):
        return
    raw = str(action.get("value") or "")
    if not raw.isdigit():
        _tell(respond, OUT_OF_DATE)
        return
    user = body["user"]["id"]
    try:
        confirmed = confirm_priority(services_of(context), int(raw), slack_user=user, source=DIGEST)
    except ZendeskError as error:
        _tell(respond, f":warning: {error}. Nothing was recorded.")
        return
    _update_line(body, respond, confirmed.ticket.id, confirmed_text(confirmed.ticket, user))


def digest_priority_chosen(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    if _refused(body, context, respond):
        return
    option = action.get("selected_option") or {}
    chosen = parse_priority_option(str(option.get("value") or ""))
    if chosen is None:
        _tell(respond, OUT_OF_DATE)
        return
    ticket_id, priority = chosen
    user = body["user"]["id"]
    try:
        ticket = change_priority(
            services_of(context), ticket_id, priority, slack_user=user, source=DIGEST
        )
    except ZendeskError as error:
        _tell(respond, f":warning: {error}. The priority was not changed.")
        return
    _update_line(body, respond, ticket.id, changed_text(ticket, user))


def open_in_zendesk_clicked(ack: Ack) -> None:
    """The button is a link; Slack still tells the app it was clicked."""
    ack()
