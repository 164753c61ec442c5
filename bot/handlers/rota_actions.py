"""The Accept and Decline buttons of a swap request (in its DM or on the App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.rota import swap_answered_blocks
from bot.listeners import acknowledge, after_ack
from bot.rota.swaps import SwapAnswer, answer_swap
from bot.services import services_of
from bot.slack.post import update
from bot.surfaces import publish_home, send_all

BROKEN = "That button no longer works; ask for the swap again with `/rota swap`."


def register(app: App) -> None:
    app.action(ids.SWAP_ACCEPT)(ack=acknowledge, lazy=[after_ack(swap_answered)])
    app.action(ids.SWAP_DECLINE)(ack=acknowledge, lazy=[after_ack(swap_answered)])


def swap_answered(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    accept = action.get("action_id") == ids.SWAP_ACCEPT
    services = services_of(context)
    user_id = str(body.get("user", {}).get("id", ""))
    value = str(action.get("value", ""))
    if not value.isdigit():
        result = SwapAnswer(BROKEN)
    else:
        with services.session() as session:
            result = answer_swap(
                session=session,
                calendar=services.calendar,
                now=services.now(),
                request_id=int(value),
                user_id=user_id,
                accept=accept,
            )
    send_all(services, client, result.posts)
    if result.dm is not None and result.dm_text is not None:
        channel, ts = result.dm
        update(
            client,
            channel=channel,
            ts=ts,
            text=result.dm_text,
            blocks=swap_answered_blocks(result.dm_text),
        )
    if body.get("response_url"):
        respond(text=result.reply, response_type="ephemeral", replace_original=False)
    else:
        # Clicked on the App Home, which has no response_url: the refreshed home is the answer.
        publish_home(services, client, user_id, notice=result.reply)
