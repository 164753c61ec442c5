"""Buttons and modals of promised updates: done, new time, hand over, take, not a promise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids, timefmt
from bot.blocks.promises import (
    TIME_BLOCK,
    done_blocks,
    holds_others,
    read_time_modal,
    settled_blocks,
    time_modal,
)
from bot.listeners import acked_then, within_budget
from bot.promises.owners import person_on_support
from bot.promises.record import (
    PromiseError,
    cancel,
    hand_over,
    keep,
    open_promise,
    record_from_modal,
    recorded_text,
    reschedule,
)
from bot.services import Services, services_of
from bot.slack.post import open_view, post, update
from bot.surfaces import for_ticket_people, publish_home

BROKEN = "That button is broken: no promise is attached."
NOBODY_ON_SUPPORT = "Nobody else is on support now to hand this promise to."
RESCHEDULE_INTRO = (
    "Pick a new time for your update on #{ticket}. Then *tell the client the new time in "
    "Zendesk*: when we can't keep a promise, we always say so."
)
FORM_OUT_OF_DATE = "This form is out of date: close it and start again from the button."
NEW_PROMISE_INTRO = "When will you update the client on #{ticket}? I'll remind you before then."
# Where a modal's check leaves the lazy listener what was submitted.
TO_RECORD = "promise_to_record"


def register(app: App) -> None:
    for action_id, act in (
        (ids.PROMISE_DONE, promise_done),
        (ids.PROMISE_NEW_TIME, promise_new_time),
        (ids.PROMISE_HAND_OVER, promise_handed_over),
        (ids.PROMISE_TAKE, promise_taken),
        (ids.PROMISE_NOT_A_PROMISE, not_a_promise),
    ):
        app.action(action_id)(acked_then(for_ticket_people(on_click(act))))
    app.action(ids.PROMISE_OPEN_MODAL)(acked_then(for_ticket_people(open_promise_modal)))
    app.view(ids.PROMISE_RESCHEDULE_MODAL)(
        ack=within_budget(check_new_time), lazy=[for_ticket_people(promise_rescheduled)]
    )
    app.view(ids.PROMISE_MODAL)(
        ack=within_budget(check_promise), lazy=[for_ticket_people(promise_modal_submitted)]
    )


@dataclass
class Click:
    """A click on a promise's button, and how to answer it where it was clicked."""

    body: dict[str, Any]
    respond: Respond
    services: Services
    client: WebClient

    @property
    def user(self) -> str:
        return str(self.body["user"]["id"])

    @property
    def value(self) -> str:
        return str(self.body["actions"][0].get("value", ""))

    def answer(self, text: str, *, replace: bool) -> None:
        """On a message: replace it, or add an ephemeral line. On the App Home: refresh it."""
        if not self.body.get("response_url"):
            publish_home(self.services, self.client, self.user, notice=text)
        elif replace:
            message = self.body.get("message") or {}
            blocks = settled_blocks(list(message.get("blocks") or []), self.promise_id, text)
            self.respond(text=text, blocks=blocks, replace_original=True)
        else:
            self.respond(text=text, response_type="ephemeral", replace_original=False)

    @property
    def promise_id(self) -> int:
        head = self.value.split(":", 1)[0]  # reminders sent before carry "id:user"
        if not head.isdigit():
            raise PromiseError(BROKEN)
        return int(head)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """A PromiseError raised inside becomes the person's answer."""
        try:
            yield
        except PromiseError as error:
            self.answer(str(error), replace=False)


def on_click(act: Callable[[Click], None]) -> Callable[..., None]:
    """A promise button's listener: `act` gets the click, and a PromiseError is the answer."""

    def clicked(
        body: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
    ) -> None:
        click = Click(body, respond, services_of(context), client)
        with click.answering():
            act(click)

    clicked.__name__ = act.__name__
    return clicked


def _when(services: Services, instant: datetime) -> str:
    calendar = services.calendar
    return timefmt.instant(instant, calendar.tz, today=calendar.today(services.now()))


def _default_new_time(services: Services) -> datetime:
    calendar = services.calendar
    return calendar.due_end_of_day(calendar.next_working_day(calendar.today(services.now())))


def promise_done(click: Click) -> None:
    promise = keep(click.services, promise_id=click.promise_id, by=click.user)
    click.answer(
        f":white_check_mark: Promise on #{promise.ticket_id} kept — marked done by "
        f"<@{click.user}>, {_when(click.services, click.services.now())}.",
        replace=True,
    )


def promise_new_time(click: Click) -> None:
    promise = open_promise(click.services, promise_id=click.promise_id, owner=click.user)
    container = click.body.get("container") or {}
    blocks = list((click.body.get("message") or {}).get("blocks") or [])
    if holds_others(blocks, click.promise_id):
        # The message has other reminders on it: the new time is confirmed in a line of its own.
        container = {}
    view = time_modal(
        callback_id=ids.PROMISE_RESCHEDULE_MODAL,
        title="New time",
        submit="Move it",
        initial=_default_new_time(click.services),
        calendar=click.services.calendar,
        metadata={
            "promise": promise.id,
            "channel": container.get("channel_id"),
            "ts": container.get("message_ts"),
        },
        intro=RESCHEDULE_INTRO.format(ticket=promise.ticket_id),
        with_note=False,
    )
    open_view(click.client, trigger_id=str(click.body["trigger_id"]), view=view)


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


def check_new_time(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """A time in the past, or a promise no longer theirs, is refused in the modal."""
    services = services_of(context)
    due, _, errors = _submitted_due(services, view["state"]["values"])
    if due is None:
        ack(response_action="errors", errors=errors)
        return
    metadata = modal_metadata(view)
    promise_id = record_id(metadata.get("promise"))
    if promise_id is None:
        ack(response_action="errors", errors={TIME_BLOCK: FORM_OUT_OF_DATE})
        return
    try:
        open_promise(services, promise_id=promise_id, owner=str(body["user"]["id"]))
    except PromiseError as error:
        ack(response_action="errors", errors={TIME_BLOCK: str(error)})
        return
    ack()
    context[TO_RECORD] = {"promise_id": promise_id, "due": due, "metadata": metadata}


def promise_rescheduled(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    submitted = context.get(TO_RECORD)
    if submitted is None:
        return  # refused in the ack, or the ack failed and has been reported
    services = services_of(context)
    user = str(body["user"]["id"])
    due, metadata = submitted["due"], submitted["metadata"]
    try:
        promise = reschedule(services, promise_id=submitted["promise_id"], due=due, by=user)
    except PromiseError as error:  # changed by someone else since the check above
        post(client, channel=user, text=str(error))
        return
    text = (
        f":clock3: Your update on #{promise.ticket_id} is now due *{_when(services, due)}*. "
        "Remember to tell the client the new time in Zendesk."
    )
    channel, ts = metadata.get("channel"), metadata.get("ts")
    if not (channel and ts):
        post(client, channel=user, text=text)
        return
    update(client, channel=channel, ts=ts, text=text, blocks=done_blocks(text))


def promise_handed_over(click: Click) -> None:
    services = click.services
    # Refused as hand_over would refuse it, before asking who is on support.
    open_promise(services, promise_id=click.promise_id, owner=click.user)
    with services.session() as session:
        to = person_on_support(session, services.calendar, click.user, services.now())
    if to is None or to == click.user:
        raise PromiseError(NOBODY_ON_SUPPORT)
    _transfer(click, to=to, owner_only=True)


def promise_taken(click: Click) -> None:
    _transfer(click, to=click.user, owner_only=False)


def _transfer(click: Click, *, to: str, owner_only: bool) -> None:
    promise = hand_over(
        click.services, promise_id=click.promise_id, to=to, by=click.user, owner_only=owner_only
    )
    when = _when(click.services, promise.due_at)
    click.answer(
        f":handshake: <@{to}> now holds the promised update on #{promise.ticket_id} (due {when}).",
        replace=True,
    )
    if to != click.user:
        post(
            click.client,
            channel=to,
            text=(
                f"<@{click.user}> handed you a promised update on #{promise.ticket_id}, "
                f"due *{when}*. I'll remind you before it is due."
            ),
        )


def not_a_promise(click: Click) -> None:
    promise = cancel(click.services, promise_id=click.promise_id, by=click.user)
    click.answer(
        f"OK: that reply on #{promise.ticket_id} was not a promise, and I've forgotten it.",
        replace=True,
    )


def open_promise_modal(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    services = services_of(context)
    value = str(body["actions"][0].get("value", ""))
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
    open_view(client, trigger_id=str(body["trigger_id"]), view=view)


def check_promise(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    """A time in the past is refused in the modal."""
    due, note, errors = _submitted_due(services_of(context), view["state"]["values"])
    if due is None:
        ack(response_action="errors", errors=errors)
        return
    ticket_id = record_id(modal_metadata(view).get("ticket"))
    if ticket_id is None:
        ack(response_action="errors", errors={TIME_BLOCK: FORM_OUT_OF_DATE})
        return
    ack()
    context[TO_RECORD] = {"due": due, "note": note, "ticket_id": ticket_id}


def promise_modal_submitted(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    submitted = context.get(TO_RECORD)
    if submitted is None:
        return  # refused in the ack, or the ack failed and has been reported
    services = services_of(context)
    user = str(body["user"]["id"])
    promise = record_from_modal(
        services,
        user=user,
        ticket_id=submitted["ticket_id"],
        due=submitted["due"],
        note=submitted["note"],
    )
    post(client, channel=user, text=recorded_text(promise, services.calendar, now=services.now()))


def modal_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What Rotabot put in the modal's private_metadata ({} when it is not that)."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def record_id(raw: Any) -> int | None:
    """A record's key as Rotabot wrote it: a positive 64-bit integer, else None."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return raw if 0 < raw < 2**63 else None
