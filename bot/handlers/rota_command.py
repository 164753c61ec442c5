"""`/rota`: the channel's support rota. Parsing and rules live in bot.rota.commands."""

from __future__ import annotations

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
    RotaRequest,
    UsageError,
    parse_command,
    run_command,
)
from bot.services import Services, services_of
from bot.slack.errors import BOT_NOT_IN_CHANNEL, error_code
from bot.slack.listeners import after_ack
from bot.slack.people import SlackPeople
from bot.slack.post import send
from bot.store.changes import Remembered, Watch
from bot.surfaces import send_all

# Subcommands answered in the ack: they read the local database (and may publish weeks);
# `who` is not one, as its answer depends on posting in the channel.
READS = frozenset({"show", "help"})


# Everything `/rota show` reads; its answer is remembered until one of them changes.
ROTA_TABLES = Watch({"rota", "rota_member", "rota_week", "absence", "client_lead", "swap_request"})


# Where the ack function leaves the lazy listener its work: the answer it gave, or the text.
ANSWERED = "rota_answered"
TO_RUN = "rota_to_run"
# Where the matcher leaves an answer it found in memory.
REMEMBERED = "rota_remembered"


def register(app: App) -> None:
    answers: Remembered[Outcome] = Remembered(ROTA_TABLES)

    def remembered(command: dict[str, Any], context: BoltContext) -> bool:
        """A rota shown a moment ago: answered from memory by a listener with nothing after."""
        if not answers_at_once(str(command.get("text") or "")):
            return False
        services = services_of(context)
        found = answers.fresh(answer_key(services, command, services.now()))
        if found is not None:
            context[REMEMBERED] = found[0]
        return found is not None

    def answer_rota_command(
        ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        answer_fast(answers, ack, command, context, client)

    # Bolt starts a listener's lazy work (a copy of the request) even when the ack said all;
    # answers from memory, most of all, skip that under a listener of their own.
    app.command("/rota", matchers=[remembered])(answer_from_memory)
    app.command("/rota")(ack=answer_rota_command, lazy=[after_ack(finish_rota_command)])


def answer_from_memory(ack: Ack, context: BoltContext) -> None:
    outcome: Outcome = context[REMEMBERED]  # remembered only when settled: nothing else to send
    ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")


def answer_key(services: Services, command: dict[str, Any], now: datetime) -> Hashable:
    """A remembered answer's key: the channel, the text and the team's day."""
    text = str(command.get("text") or "").strip().lower()
    return (str(command.get("channel_id", "")), text, services.calendar.today(now))


def answer_fast(
    answers: Remembered[Outcome],
    ack: Ack,
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
) -> None:
    """Reading the rota is answered in the ack itself; a change is acked, then made.

    The rota as shown is remembered (per channel, text and day) until the rota changes: it
    is what people ask for most, and answering it from memory keeps acks fast under load.
    """
    text = str(command.get("text") or "")
    if not answers_at_once(text):
        ack()
        context[TO_RUN] = True
        return
    services = services_of(context)
    key = answer_key(services, command, services.now())
    outcome = answers.get_or_read(
        key, lambda: run(services, command, client), keep=lambda found: found.settled
    )
    ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
    if not outcome.settled:
        context[ANSWERED] = outcome


def finish_rota_command(
    command: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient
) -> None:
    """Make the change acked a moment ago, or send what an answer given in the ack still owes."""
    answered: Outcome | None = context.get(ANSWERED)
    if answered is None and not context.get(TO_RUN):
        return  # answered in full by the ack, or the ack failed and has been reported
    services = services_of(context)
    outcome = answered or run(services, command, client)
    reply = deliver(services, client, outcome)
    if answered is None or reply != outcome.text:
        respond(text=reply, blocks=outcome.blocks, response_type="ephemeral")


def run(services: Services, command: dict[str, Any], client: WebClient) -> Outcome:
    with services.session() as session:
        return run_command(
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
    line = outcome.in_channel
    if line is not None:
        try:
            send(client, channel=line.channel, text=line.text, blocks=line.blocks)
        except SlackApiError as error:
            if error_code(error) not in BOT_NOT_IN_CHANNEL:
                raise
            reply = INVITE
    return reply
