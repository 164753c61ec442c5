"""`/rota`: the channel's support rota. Parsing and rules live in bot.rota."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import services_of
from bot.rota import INVITE, Outcome, Post, RotaRequest, SlackPeople, remember_swap_dm, run_command
from bot.services import Services

log = logging.getLogger(__name__)

NOT_THERE = ("not_in_channel", "channel_not_found")


def register(app: App) -> None:
    app.command("/rota")(rota_command)


def rota_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    ack()
    services = services_of(context)
    with services.session() as session:
        outcome = run_command(
            RotaRequest(
                session=session,
                calendar=services.calendar,
                now=services.now(),
                people=SlackPeople(client),
                channel_id=str(command.get("channel_id", "")),
                user_id=str(command.get("user_id", "")),
                public_url=services.settings.public_url,
            ),
            str(command.get("text") or ""),
        )
    reply = deliver(services, client, outcome)
    respond(text=reply, blocks=outcome.blocks, response_type="ephemeral")


def deliver(services: Services, client: WebClient, outcome: Outcome) -> str:
    """Send the outcome's messages; returns the reply for the person who asked."""
    reply = outcome.text
    # The change is committed: tell the people it affects before anything else can fail.
    send_all(services, client, outcome.posts)
    if outcome.in_channel is not None:
        try:
            send(client, outcome.in_channel)
        except SlackApiError as error:
            if error.response.get("error") not in NOT_THERE:
                raise
            reply = INVITE
    return reply


def send_all(services: Services, client: WebClient, posts: list[Post]) -> None:
    """DMs and channel lines; one failing (say, a deactivated user) does not stop the rest."""
    for post in posts:
        try:
            sent = send(client, post)
        except SlackApiError as error:
            log.warning("could not send to %s: %s", post.channel, error.response.get("error"))
            continue
        if post.swap_request_id is not None:
            with services.session() as session:
                remember_swap_dm(
                    session=session,
                    request_id=post.swap_request_id,
                    channel=str(sent["channel"]),
                    ts=str(sent["ts"]),
                )


def send(client: WebClient, post: Post) -> dict[str, Any]:
    answer = client.chat_postMessage(channel=post.channel, text=post.text, blocks=post.blocks)
    return {"channel": answer.get("channel"), "ts": answer.get("ts")}
