"""Buttons and modals of promised updates: done, new time, hand over, take, not a promise."""

from __future__ import annotations

import json
import logging
from datetime import datetime, time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids, timefmt
from bot.app import services_of
from bot.blocks.promises import (
    TIME_BLOCK,
    done_blocks,
    read_time_modal,
    time_modal,
)
from bot.handlers.home import publish_home
from bot.promises import (
    PromiseError,
    cancel,
    hand_over,
    keep,
    record_from_modal,
    recorded_text,
    reschedule,
)
from bot.services import Services
from bot.store import promises as store

log = logging.getLogger(__name__)

BROKEN = "That button is broken: no promise is attached."
RESCHEDULE_INTRO = (
    "Pick a new time for your update on #{ticket}. Then *tell the client the new time in "
    "Zendesk*: when we can't keep a promise, we always say so."
)
NEW_PROMISE_INTRO = "When will you update the client on #{ticket}? I'll remind you before then."


def register(app: App) -> None:
    app.action(ids.PROMISE_DONE)(promise_done)
    app.action(ids.PROMISE_NEW_TIME)(promise_new_time)
    app.view(ids.PROMISE_RESCHEDULE_MODAL)(promise_rescheduled)
    app.action(ids.PROMISE_HAND_OVER)(promise_handed_over)
    app.action(ids.PROMISE_TAKE)(promise_taken)
    app.action(ids.PROMISE_NOT_A_PROMISE)(not_a_promise)
    app.action(ids.PROMISE_OPEN_MODAL)(open_promise_modal)
    app.view(ids.PROMISE_MODAL)(promise_modal_submitted)


def _action(body: dict[str, Any]) -> tuple[str, str]:
    """(the clicking user, the button's value)."""
    return str(body["user"]["id"]), str(body["actions"][0].get("value", ""))


def _answer(
    body: dict[str, Any],
    respond: Respond,
    services: Services,
    client: WebClient,
    text: str,
    *,
    replace: bool,
) -> None:
    """Answer where the button was: its message, or (on the App Home) a refreshed Home."""
    if not body.get("response_url"):
        publish_home(services, client, str(body["user"]["id"]), notice=text)
    elif replace:
        respond(text=text, blocks=done_blocks(text), replace_original=True)
    else:
        respond(text=text, response_type="ephemeral", replace_original=False)


def _promise_id(raw: str) -> int | None:
    head = raw.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def _owner_only(services: Services, promise_id: int, user: str) -> str | None:
    """A refusal for anyone but the promise's owner, or None."""
    with services.session() as session:
        promise = store.promise_by_id(session=session, promise_id=promise_id)
    if promise is not None and promise.owner != user:
        return f"This promise belongs to <@{promise.owner}>, so only they can do that."
    return None


def _stamp(services: Services) -> str:
    now = services.now()
    return timefmt.instant(now, services.calendar.tz, today=services.calendar.today(now))


def _default_new_time(services: Services) -> datetime:
    calendar = services.calendar
    return calendar.due_end_of_day(calendar.next_working_day(calendar.today(services.now())))


def promise_done(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    user, value = _action(body)
    promise_id = _promise_id(value)
    if promise_id is None:
        _answer(body, respond, services, client, BROKEN, replace=False)
        return
    refusal = _owner_only(services, promise_id, user)
    if refusal:
        _answer(body, respond, services, client, refusal, replace=False)
        return
    try:
        promise = keep(services, promise_id=promise_id, by=user)
    except PromiseError as error:
        _answer(body, respond, services, client, str(error), replace=False)
        return
    text = (
        f":white_check_mark: Promise on #{promise.ticket_id} kept — marked done by <@{user}>, "
        f"{_stamp(services)}."
    )
    _answer(body, respond, services, client, text, replace=True)


def _open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        log.warning("could not open a modal: %s", error)


def promise_new_time(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    user, value = _action(body)
    promise_id = _promise_id(value)
    with services.session() as session:
        promise = (
            None
            if promise_id is None
            else store.promise_by_id(session=session, promise_id=promise_id)
        )
    if promise is None or promise.state != store.OPEN:
        _answer(body, respond, services, client, "That promise is no longer open.", replace=False)
        return
    refusal = _owner_only(services, promise.id or 0, user)
    if refusal:
        _answer(body, respond, services, client, refusal, replace=False)
        return
    container = body.get("container") or {}
    view = time_modal(
        callback_id=ids.PROMISE_RESCHEDULE_MODAL,
        title="New time",
        submit="Move it",
        initial=_default_new_time(services),
        calendar=services.calendar,
        metadata={
            "promise": promise.id,
            "channel": container.get("channel_id"),
            "ts": container.get("message_ts"),
        },
        intro=RESCHEDULE_INTRO.format(ticket=promise.ticket_id),
        with_note=False,
    )
    _open_view(client, str(body["trigger_id"]), view)


def _submitted_due(
    services: Services, values: dict[str, Any]
) -> tuple[datetime | None, str, dict[str, str]]:
    day, at, note = read_time_modal(values)
    if day is None:
        return None, note, {TIME_BLOCK: "Pick a day and a time."}
    due = services.calendar.at(day, at or time(17, 0))
    if due <= services.now():
        return None, note, {TIME_BLOCK: "That time has already passed: pick one in the future."}
    return due, note, {}


def promise_rescheduled(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    services = services_of(context)
    due, _, errors = _submitted_due(services, view["state"]["values"])
    if due is None:
        ack(response_action="errors", errors=errors)
        return
    metadata = json.loads(view.get("private_metadata") or "{}")
    user = str(body["user"]["id"])
    try:
        promise = reschedule(services, promise_id=int(metadata["promise"]), due=due, by=user)
    except PromiseError as error:
        ack(response_action="errors", errors={TIME_BLOCK: str(error)})
        return
    ack()
    when = timefmt.instant(due, services.calendar.tz, today=services.calendar.today(services.now()))
    text = (
        f":clock3: Your update on #{promise.ticket_id} is now due *{when}*. "
        "Remember to tell the client the new time in Zendesk."
    )
    channel, ts = metadata.get("channel"), metadata.get("ts")
    try:
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=done_blocks(text))
        else:
            client.chat_postMessage(channel=user, text=text)
    except SlackApiError as error:
        log.warning("could not confirm a new promise time: %s", error)


def promise_handed_over(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    user, value = _action(body)
    promise_id = _promise_id(value)
    _, _, to = value.partition(":")
    if promise_id is None or not to:
        _answer(body, respond, services, client, BROKEN, replace=False)
        return
    refusal = _owner_only(services, promise_id, user)
    if refusal:
        _answer(body, respond, services, client, refusal, replace=False)
        return
    _transfer(body, services, client, respond, promise_id=promise_id, to=to, by=user)


def promise_taken(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    user, value = _action(body)
    promise_id = _promise_id(value)
    if promise_id is None:
        _answer(body, respond, services, client, BROKEN, replace=False)
        return
    _transfer(body, services, client, respond, promise_id=promise_id, to=user, by=user)


def _transfer(
    body: dict[str, Any],
    services: Services,
    client: WebClient,
    respond: Respond,
    *,
    promise_id: int,
    to: str,
    by: str,
) -> None:
    try:
        promise = hand_over(services, promise_id=promise_id, to=to, by=by)
    except PromiseError as error:
        _answer(body, respond, services, client, str(error), replace=False)
        return
    now = services.now()
    when = timefmt.instant(promise.due_at, services.calendar.tz, today=services.calendar.today(now))
    text = (
        f":handshake: <@{to}> now holds the promised update on #{promise.ticket_id} (due {when})."
    )
    _answer(body, respond, services, client, text, replace=True)
    if to != by:
        try:
            client.chat_postMessage(
                channel=to,
                text=f"<@{by}> handed you a promised update on #{promise.ticket_id}, due *{when}*. "
                "I'll remind you before it is due.",
            )
        except SlackApiError as error:
            log.warning("could not tell %s about a handed-over promise: %s", to, error)


def not_a_promise(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    user, value = _action(body)
    promise_id = _promise_id(value)
    if promise_id is None:
        _answer(body, respond, services, client, BROKEN, replace=False)
        return
    try:
        promise = cancel(services, promise_id=promise_id, by=user)
    except PromiseError as error:
        _answer(body, respond, services, client, str(error), replace=False)
        return
    text = f"OK: that reply on #{promise.ticket_id} was not a promise, and I've forgotten it."
    _answer(body, respond, services, client, text, replace=True)


def open_promise_modal(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    _, value = _action(body)
    if not value.isdigit():
        return
    view = time_modal(
        callback_id=ids.PROMISE_MODAL,
        title="Promise an update",
        submit="Record it",
        initial=_default_new_time(services),
        calendar=services.calendar,
        metadata={"ticket": int(value)},
        intro=NEW_PROMISE_INTRO.format(ticket=value),
    )
    _open_view(client, str(body["trigger_id"]), view)


def promise_modal_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    services = services_of(context)
    due, note, errors = _submitted_due(services, view["state"]["values"])
    if due is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    user = str(body["user"]["id"])
    ticket_id = int(json.loads(view.get("private_metadata") or "{}")["ticket"])
    promise = record_from_modal(services, user=user, ticket_id=ticket_id, due=due, note=note)
    try:
        client.chat_postMessage(
            channel=user, text=recorded_text(promise, services.calendar, now=services.now())
        )
    except SlackApiError as error:
        log.warning("could not confirm a promise to %s: %s", user, error)
