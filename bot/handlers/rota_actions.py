"""The Accept and Decline buttons of a swap request and of a cover request (in their DMs or
on the App Home)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot import ids
from bot.blocks.rota import swap_answered_blocks
from bot.listeners import acked_then, after_ack
from bot.rota.cover import CoverAnswer, answer_cover
from bot.rota.surfaces import sync_surfaces
from bot.rota.swaps import SwapAnswer, answer_swap
from bot.services import Services, services_of
from bot.slack.post import update
from bot.surfaces import publish_home, send_all

BROKEN = "That button no longer works; ask for the swap again with `/rota swap`."
BROKEN_COVER = "That button no longer works; ask for cover again with `/rota away`."


def register(app: App) -> None:
    app.action(ids.SWAP_ACCEPT)(acked_then(after_ack(swap_answered)))
    app.action(ids.SWAP_DECLINE)(acked_then(after_ack(swap_answered)))
    app.action(ids.COVER_ACCEPT)(acked_then(after_ack(cover_answered)))
    app.action(ids.COVER_DECLINE)(acked_then(after_ack(cover_answered)))


def swap_answered(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    services, user_id, result = _answered(
        body,
        action,
        context,
        accept_id=ids.SWAP_ACCEPT,
        broken=SwapAnswer(BROKEN),
        answer=lambda session, services, number, user_id, accept: answer_swap(
            session=session,
            calendar=services.calendar,
            now=services.now(),
            request_id=number,
            user_id=user_id,
            accept=accept,
        ),
    )
    send_all(services, client, result.posts)
    _settled(services, client, body, respond, user_id, result.reply, result.dm, result.dm_text)


def cover_answered(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    services, user_id, result = _answered(
        body,
        action,
        context,
        accept_id=ids.COVER_ACCEPT,
        broken=CoverAnswer(BROKEN_COVER),
        answer=lambda session, services, number, user_id, accept: answer_cover(
            session=session,
            calendar=services.calendar,
            now=services.now(),
            cover_id=number,
            user_id=user_id,
            accept=accept,
        ),
    )
    send_all(services, client, result.posts)
    if result.changed_rota is not None:
        # Who is on support now changed: the user group and the topic follow at once.
        sync_surfaces(services, client, now=services.now(), rota_ids=[result.changed_rota])
    _settled(services, client, body, respond, user_id, result.reply, result.dm, result.dm_text)


Answer = TypeVar("Answer", SwapAnswer, CoverAnswer)


def _answered(
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    *,
    accept_id: str,
    broken: Answer,
    answer: Callable[[Session, Services, int, str, bool], Answer],
) -> tuple[Services, str, Answer]:
    """Who clicked, and the request's answer (`broken` when the button's value is no id)."""
    services = services_of(context)
    user_id = str(body.get("user", {}).get("id", ""))
    value = str(action.get("value", ""))
    if not value.isdigit():
        return services, user_id, broken
    with services.session() as session:
        accept = action.get("action_id") == accept_id
        return services, user_id, answer(session, services, int(value), user_id, accept)


def clicked_message(body: dict[str, Any]) -> tuple[str, str] | None:
    """The channel and ts of the message whose button was clicked (None: not a message, say
    the App Home)."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") != "message" or not isinstance(channel, str):
        return None
    return (channel, ts) if isinstance(ts, str) and channel and ts else None


def _settled(
    services: Services,
    client: WebClient,
    body: dict[str, Any],
    respond: Respond,
    user_id: str,
    reply: str,
    dm: tuple[str, str] | None,
    dm_text: str | None,
) -> None:
    """The request's DM shows the answer; the clicker is told the outcome.

    The request's reply comes before its DM is sent, so where the DM is (`dm`) may not be
    stored yet when its button is clicked: a click on the DM itself says where it is.
    """
    dm = dm or clicked_message(body)
    if dm is not None and dm_text is not None:
        channel, ts = dm
        update(client, channel=channel, ts=ts, text=dm_text, blocks=swap_answered_blocks(dm_text))
    if body.get("response_url"):
        respond(text=reply, response_type="ephemeral", replace_original=False)
    else:
        # Clicked on the App Home, which has no response_url: the refreshed home is the answer.
        publish_home(services, client, user_id, notice=reply)
