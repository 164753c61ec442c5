"""`/rota`: the channel's support rota. Parsing and rules live in bot.rota.commands."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.dates import DateError
from bot.rota.commands import (
    INVITE,
    Outcome,
    Post,
    RotaRequest,
    SlackPeople,
    UsageError,
    parse_command,
    remember_swap_dm,
    run_command,
)
from bot.services import Services, services_of
from bot.store.changes import Remembered, Watch

log = logging.getLogger(__name__)

NOT_THERE = ("not_in_channel", "channel_not_found")
# Subcommands answered in the ack: they read the local database (and may publish weeks);
# `who` is not one, as its answer depends on posting in the channel.
READS = frozenset({"show", "help"})


# Everything `/rota show` reads; its answer is remembered until one of them changes.
ROTA_TABLES = Watch({"rota", "rota_member", "rota_week", "absence", "client_lead", "swap_request"})


def register(app: App) -> None:
    answers: Remembered[Outcome] = Remembered(ROTA_TABLES)

    def rota_command(
        ack: Ack,
        command: dict[str, Any],
        respond: Respond,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        run_rota_command(answers, ack, command, respond, context, client)

    def answer_inline(
        ack: Ack,
        command: dict[str, Any],
        respond: Respond,
        context: BoltContext,
        client: WebClient,
    ) -> bool:
        """A rota shown a moment ago, shown again from memory on Bolt's own thread."""
        text = str(command.get("text") or "")
        if not answers_at_once(text):
            return False
        services = services_of(context)
        found = answers.fresh(answer_key(services, command, services.now()))
        if found is None:
            return False
        outcome = found[0]  # remembered only when settled: there is nothing else to send
        ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
        return True

    rota_command.answer_inline = answer_inline  # type: ignore[attr-defined]
    app.command("/rota")(rota_command)


def answer_key(services: Services, command: dict[str, Any], now: datetime) -> Hashable:
    """A remembered answer's key: the channel, the text and the team's day."""
    text = str(command.get("text") or "").strip().lower()
    return (str(command.get("channel_id", "")), text, services.calendar.today(now))


def run_rota_command(
    answers: Remembered[Outcome],
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    """Reading the rota is answered in the ack itself; a change is acked, then made.

    The rota as shown is remembered (per channel, text and day) until the rota changes: it
    is what people ask for most, and answering it from memory keeps acks fast under load.
    """
    text = str(command.get("text") or "")
    at_once = answers_at_once(text)
    if not at_once:
        ack()
    services = services_of(context)
    now = services.now()
    channel_id = str(command.get("channel_id", ""))

    def run() -> Outcome:
        with services.session() as session:
            return run_command(
                RotaRequest(
                    session=session,
                    calendar=services.calendar,
                    now=now,
                    people=SlackPeople(client),
                    channel_id=channel_id,
                    user_id=str(command.get("user_id", "")),
                    public_url=services.settings.public_url,
                ),
                text,
            )

    if at_once:
        key = answer_key(services, command, now)
        outcome = answers.get_or_read(key, run, keep=lambda found: found.settled)
        ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
    else:
        outcome = run()
    reply = deliver(services, client, outcome)
    if not at_once or reply != outcome.text:
        respond(text=reply, blocks=outcome.blocks, response_type="ephemeral")


def answers_at_once(text: str) -> bool:
    """Whether `/rota text` only reads the local database before answering (so its answer
    can be the ack itself): showing the rota, the usage, or a mistake in the text.
    Anything that may ask Slack about people first is acked at once and answered after."""
    try:
        return parse_command(text).name in READS
    except (UsageError, DateError):
        return True


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
