"""`/rota`: the channel's support rota. Parsing and rules live in bot.rota."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import asker_of, ticket_refusal
from bot.figures import client_columns
from bot.listeners import ARGUMENTS, after_ack, asking_for, report_failure, within_budget
from bot.rota.commands import INVITE, mistaken, run_command
from bot.rota.parse import Command, UsageError, parse_command
from bot.rota.plans import plans_of
from bot.rota.request import GroupLookup, Outcome, RotaRequest, bots_among
from bot.rota.surfaces import remove_topic_line, sync_surfaces
from bot.services import Services, services_of
from bot.slack.errors import BOT_NOT_IN_CHANNEL, SlackUnavailable, error_code
from bot.slack.people import RememberedPeople
from bot.slack.post import send
from bot.slack.usergroups import find_group
from bot.store.changes import ROTA
from bot.store.remembered import FACTS_KEPT, Remembered
from bot.store.slack_names import remember_names
from bot.surfaces import send_all

# Subcommands answered in the ack: they read the local database (and may publish weeks);
# `who` is not one, as its answer depends on posting in the channel.
READS = frozenset({"show", "help"})
# Changes whose reply nothing they cause can alter (no topic, user group or channel line; see
# reply_is_final): answered in the ack when Slack need not be asked about anyone first.
FINAL_IN_ACK = frozenset({"add", "swap", "lead", "stats", "ical"})


# Where the ack function leaves the lazy listener its work: the answer it gave, or the command.
ANSWERED = "rota_answered"
TO_RUN = "rota_to_run"
# The command as parsed once, by the first of the listeners' steps to read the text.
PARSED = "rota_parsed"
# Where the matcher leaves an answer it found in memory.
REMEMBERED = "rota_remembered"


def register(app: App) -> None:
    # Per channel, text and team's day (answer_key): nothing else in it moves with the clock.
    answers: Remembered[Outcome] = Remembered(ROTA, max_age=FACTS_KEPT)

    def remembered(command: dict[str, Any], context: BoltContext) -> bool:
        """A rota shown a moment ago: answered from memory by a listener with nothing after."""
        if not answers_at_once(parsed_in(context, command)):
            return False
        services = services_of(context)
        found = answers.fresh(answer_key(services, command, services.now()), services)
        if found is not None:
            context[REMEMBERED] = found[0]
        return found is not None

    def answer_rota_command(
        ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        answer_fast(answers, ack, command, context, client)

    def answerable_now(command: dict[str, Any], context: BoltContext) -> bool:
        """A change whose reply is final and which need not ask Slack first (the people it
        names were described a moment ago): it reads and writes the local database only."""
        parsed = parsed_in(context, command)
        return (
            isinstance(parsed, Command)
            and parsed.name in FINAL_IN_ACK
            and not asks_slack_first(services_of(context), parsed)
        )

    change_now = within_budget(answer_change_now)
    answer_then_finish = within_budget(answer_rota_command)
    finish = after_ack(finish_rota_command)

    def answer(**given: Any) -> None:
        """The three ways of answering, chosen here under one listener: Bolt tries every
        listener before the one that matches, each try building all the arguments a listener
        could ask for, and so did each listener's matcher (three listeners: six such builds
        for a swap, and three more for every click or event that comes after /rota).

        An answer from memory, or a change answered in the ack (whose messages go to the work
        pool themselves), has nothing after it; anything else is finished after the ack, on the
        work pool, as Bolt's lazy listener would be but without its copy of the request."""
        command, context = given["command"], given["context"]
        if remembered(command, context):
            answer_from_memory(given["ack"], context)
        elif answerable_now(command, context):
            change_now(**given)
        else:
            answer_then_finish(**given)
            services_of(context).executor.submit(finish, **given)

    app.command("/rota")(ack=asking_for(answer, list(ARGUMENTS), answer_fast), lazy=[])


def answer_from_memory(ack: Ack, context: BoltContext) -> None:
    outcome: Outcome = context[REMEMBERED]  # remembered only when settled: nothing else to send
    ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")


def answer_change_now(
    ack: Ack, command: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Make the change and answer with it in the ack; its DMs follow on the work pool."""
    services = services_of(context)
    outcome = run(services, command, parsed_in(context, command), client)
    ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
    if not outcome.settled:
        services.background.submit(send_after, services, client, outcome, body, context)


def send_after(
    services: Services,
    client: WebClient,
    outcome: Outcome,
    body: dict[str, Any],
    context: BoltContext,
) -> None:
    """The messages a change already answered causes (its reply is final: see reply_is_final),
    sent in the background; a failure is reported as a lazy listener's would be."""
    try:
        with services.turns.taking():
            deliver(services, client, outcome)
    except Exception as error:
        report_failure(error, body, client, context)


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
    """Reading the rota is answered in the ack itself; a change is acked, then made (unless
    answer_change_now has answered it in the ack).

    The rota as shown is remembered (per channel, text and day) until a commit in any process
    changes the rota: it is what people ask for most, and answering it from memory keeps acks
    fast under load.
    """
    parsed = parsed_in(context, command)
    services = services_of(context)
    if not answers_at_once(parsed):
        ack()
        context[TO_RUN] = parsed
        return
    key = answer_key(services, command, services.now())
    outcome = answers.get_or_read(
        key,
        lambda: run(services, command, parsed, client),
        keep=lambda found: found.settled,
        source=services,
    )
    ack(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
    if not outcome.settled:
        context[ANSWERED] = outcome


def finish_rota_command(
    command: dict[str, Any],
    body: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    """Make the change acked a moment ago, or send what an answer given in the ack still owes."""
    services = services_of(context)
    answered: Outcome | None = context.get(ANSWERED)
    to_run: Command | UsageError | None = context.get(TO_RUN)
    if answered is not None:
        outcome = answered
    elif to_run is not None:
        outcome = run(services, command, to_run, client)
    else:
        return  # answered in full by the ack, or the ack failed and has been reported
    if answered is None and reply_is_final(outcome):
        # Nothing sent after can change the reply: the person sees it first, then the DMs and
        # channel lines the change causes go out (each one a Slack call, some a write).
        respond(text=outcome.text, blocks=outcome.blocks, response_type="ephemeral")
        services.background.submit(send_after, services, client, outcome, body, context)
        return
    reply = deliver(services, client, outcome)
    if answered is None or reply != outcome.text:
        respond(text=reply, blocks=outcome.blocks, response_type="ephemeral")


def reply_is_final(outcome: Outcome) -> bool:
    """Whether sending the outcome's messages leaves its reply as it is: only the topic, the
    user group and the channel line can add a warning to it (or turn it into the invite)."""
    return outcome.topic_removed is None and outcome.surfaces is None and outcome.in_channel is None


def run(
    services: Services,
    command: dict[str, Any],
    parsed: Command | UsageError,
    client: WebClient,
) -> Outcome:
    if isinstance(parsed, UsageError):
        return mistaken(parsed)
    if parsed.name == "stats" and parsed.words:
        # Figures per client are ticket data: for the people who may see tickets.
        refusal = ticket_refusal(services, asker_of(command))
        if refusal is not None:
            return Outcome(refusal)
    # Slack is asked about the people named before the session opens, not while it is open,
    # and only about those it has not described a moment ago.
    now = services.now()
    people = RememberedPeople(services.standings, client, now)
    bots = bots_among(people, parsed.users)
    group = look_up_group(client, parsed) if parsed.name == "group" else None
    # Kept for the calendar feed, which never asks Slack: the names not stored already.
    names = people.names_to_store()
    # Asking to swap one's next week may answer from the plan read a moment ago: the count
    # that says whether it holds is taken before the transaction begins.
    plans = plans_of(services) if parsed.name == "swap" and not parsed.words else None
    with services.session() as session:
        remember_names(session=session, names=names, now=now)
        outcome = run_command(
            RotaRequest(
                session=session,
                calendar=services.calendar,
                now=now,
                bots=bots,
                channel_id=str(command.get("channel_id", "")),
                user_id=str(command.get("user_id", "")),
                public_url=services.settings.public_url,
                group=group,
                client_columns=client_columns(services.settings, services.calendar),
                plans=plans,
            ),
            parsed,
        )
    services.standings.names_stored(names, now)  # committed
    return outcome


def look_up_group(client: WebClient, parsed: Command) -> GroupLookup | None:
    """The user group `/rota group` names, as Slack knows it (None for `group off`)."""
    if parsed.words == ("off",):
        return None
    if len(parsed.words) == 2:  # picked from the @ menu: Slack sent its id and handle
        group_id, handle = parsed.words
    else:
        group_id, handle = None, parsed.words[0]
    try:
        found = find_group(client, group_id=group_id, handle=handle)
    except SlackUnavailable as error:
        return GroupLookup(refused=str(error))
    if found is None:
        return GroupLookup()
    return GroupLookup(group_id=found.id, handle=found.handle)


def parsed_in(context: BoltContext, command: dict[str, Any]) -> Command | UsageError:
    """The command in `/rota text`, or what is wrong with it: parsed once per request."""
    found: Command | UsageError | None = context.get(PARSED)
    if found is None:
        found = parse(str(command.get("text") or ""))
        context[PARSED] = found
    return found


def parse(text: str) -> Command | UsageError:
    """The command in `/rota text`, or what is wrong with the text."""
    try:
        return parse_command(text)
    except UsageError as error:
        return error


def asks_slack_first(services: Services, parsed: Command) -> bool:
    """Whether the command must ask Slack before it is made: about the asker (figures per
    client), or about a person named whom Slack has not described in the last few minutes
    (see bots_among)."""
    if parsed.name == "stats" and parsed.words:
        return True  # figures per client: the asker's standing
    now = services.now()
    return any(services.standings.remembered(user, now) is None for user in parsed.users)


def answers_at_once(parsed: Command | UsageError) -> bool:
    """Whether the command only reads the local database before answering (so its answer
    can be the ack itself): showing the rota, the usage, or a mistake in the text.
    Anything that may ask Slack about people first is acked at once and answered after."""
    return isinstance(parsed, UsageError) or parsed.name in READS


def deliver(services: Services, client: WebClient, outcome: Outcome) -> str:
    """Send the outcome's messages; returns the reply for the person who asked."""
    reply = outcome.text
    # The change is committed: tell the people it affects before anything else can fail.
    send_all(services, client, outcome.posts)
    if outcome.topic_removed is not None:
        try:
            remove_topic_line(client, outcome.topic_removed)
        except SlackUnavailable as error:
            reply += f"\n:warning: Slack would not change the topic ({error})."
    if outcome.surfaces is not None:
        # Who is on support may have changed: the user group and topic follow at once.
        report = sync_surfaces(services, client, now=services.now(), rota_ids=[outcome.surfaces])
        reply += "".join(f"\n:warning: {problem}" for problem in report.problems)
    line = outcome.in_channel
    if line is not None:
        try:
            send(client, channel=line.channel, text=line.text, blocks=line.blocks)
        except SlackApiError as error:
            if error_code(error) not in BOT_NOT_IN_CHANNEL:
                raise
            reply = INVITE
    return reply
