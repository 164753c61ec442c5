"""*I'm on it* (card and digests) starts a time-box; the DM's *One more hour* and *Stop*."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot import ids
from bot.blocks.ticket import not_found_text, zendesk_failure_text
from bot.blocks.timeboxes import (
    closed_text,
    more_text,
    not_yours_text,
    part_name,
    started_text,
    stopped_text,
)
from bot.listeners import acked_then
from bot.services import services_of
from bot.store.timeboxes import ENDED
from bot.surfaces import for_ticket_people, publish_home, settle_part
from bot.timeboxes.track import (
    NotYours,
    TicketClosed,
    link_of,
    one_more_hour,
    start_timebox,
    stop_timebox,
)
from bot.zendesk.client import ZendeskError, ZendeskNotFound

OUT_OF_DATE = "That button is out of date; type `/ticket ID` to see the ticket again."
GONE = "That time-box no longer exists."


def register(app: App) -> None:
    app.action(ids.TIMEBOX_START)(acked_then(for_ticket_people(on_it_clicked)))
    app.action(ids.TIMEBOX_MORE)(acked_then(for_ticket_people(more_clicked)))
    app.action(ids.TIMEBOX_STOP)(acked_then(for_ticket_people(stop_clicked)))


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def on_it_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    if not raw.isdigit():
        _tell(respond, OUT_OF_DATE)
        return
    try:
        started = start_timebox(services, user=body["user"]["id"], ticket_id=int(raw))
    except TicketClosed as closed:
        _tell(respond, closed_text(closed.ticket_id, closed.status))
        return
    except ZendeskNotFound:
        _tell(respond, not_found_text(int(raw)))
        return
    except ZendeskError as error:
        _tell(respond, zendesk_failure_text(str(error)))
        return
    timed = started.started
    paused = None
    if started.paused is not None:
        paused = (link_of(services, started.paused.timebox.ticket_id), started.paused.worked)
    _tell(
        respond,
        started_text(
            link_of(services, timed.timebox.ticket_id),
            limit=timed.timebox.limit_hours,
            worked=timed.worked,
            already=started.already,
            resumed=started.resumed,
            paused=paused,
        ),
    )


def more_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    try:
        timed = (
            one_more_hour(services, int(raw), user=body["user"]["id"]) if raw.isdigit() else None
        )
    except NotYours as refused:
        _tell(respond, not_yours_text(refused.owner))
        return
    if timed is None:
        _tell(respond, GONE)
        return
    box = timed.timebox
    text = more_text(
        link_of(services, box.ticket_id), timed.worked, box.limit_hours, ended=box.state == ENDED
    )
    settle_part(body, respond, part_name(int(raw)), text)


def stop_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    services = services_of(context)
    raw = str(action.get("value") or "")
    user = body["user"]["id"]
    try:
        timed = stop_timebox(services, int(raw), user=user) if raw.isdigit() else None
    except NotYours as refused:
        _tell(respond, not_yours_text(refused.owner))
        return
    text = (
        GONE
        if timed is None
        else stopped_text(link_of(services, timed.timebox.ticket_id), timed.worked)
    )
    if (body.get("container") or {}).get("type") == "view":
        publish_home(services, services.slack, user, notice=text)
    elif timed is None:
        _tell(respond, text)
    else:
        settle_part(body, respond, part_name(int(raw)), text)
