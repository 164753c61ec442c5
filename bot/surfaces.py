"""What several Slack surfaces do alike: send posts, publish an App Home, show a ticket card,
and check who asks before any ticket is shown or acted on (bot.access)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.access import asker_of, ticket_refusal
from bot.blocks.home import HomeContext, home_view
from bot.blocks.models import TicketCard
from bot.blocks.parts import settled_part
from bot.blocks.ticket import (
    not_found_text,
    ticket_card_blocks,
    ticket_card_text,
    zendesk_failure_text,
)
from bot.blocks.timeboxes import RunningTimebox
from bot.helping.booking import booked_views
from bot.listeners import after_ack, asking_for
from bot.nudges.overview import personal_nudges
from bot.rota.cover import remember_cover_dm
from bot.rota.home import home_summaries
from bot.rota.request import Post
from bot.services import Services, services_of
from bot.slack.post import post, show_home
from bot.slack.responses import message_of
from bot.store.promises import open_promises_of
from bot.store.rota_swaps import set_swap_dm
from bot.store.tickets import Ticket
from bot.tickets.card import ticket_card
from bot.tickets.refresh import fetched_for_card, mirrored_or_fetched
from bot.timeboxes.track import link_of, running_timebox_of
from bot.zendesk.client import ZendeskError, ZendeskNotFound


def publish_home(
    services: Services, client: WebClient, user_id: str, *, notice: str | None = None
) -> None:
    now = services.now()
    with services.session() as session:
        summaries, posts = home_summaries(
            session=session, calendar=services.calendar, now=now, user_id=user_id
        )
        promises = open_promises_of(session=session, owner=user_id)
        nudges = personal_nudges(
            session,
            user_id=user_id,
            now=now,
            calendar=services.calendar,
            settings=services.settings,
        )
    home = HomeContext(
        timebox=running_timebox(services, user_id),
        help=booked_views(services, [user_id], now),
        user_id=user_id,
        today=services.calendar.today(now),
        calendar=services.calendar,
        rotas=summaries,
        notice=notice,
        promises=promises,
        nudges=nudges,
        now=now,
    )
    send_all(services, client, posts)
    show_home(client, user_id=user_id, view=home_view(home))


def settle_part(body: dict[str, Any], respond: Respond, name: str, text: str) -> None:
    """Answer a click on the part `name` of a message: that part becomes `text`, and any other
    reminders sharing the message keep their buttons."""
    message = body.get("message") or {}
    blocks = settled_part(list(message.get("blocks") or []), name, text)
    respond(text=text, blocks=blocks, replace_original=True)


def running_timebox(services: Services, user_id: str) -> RunningTimebox | None:
    found = running_timebox_of(services, user_id)
    if found is None:
        return None
    timed, _ticket = found
    box = timed.timebox
    assert box.id is not None
    return RunningTimebox(
        timebox_id=box.id,
        link=link_of(services, box.ticket_id),
        worked=timed.worked,
        limit=box.limit_hours,
    )


def send_all(services: Services, client: WebClient, posts: list[Post]) -> None:
    """DMs and channel lines; one failing (say, a deactivated user) does not stop the rest."""
    for each in posts:
        sent = post(client, channel=each.channel, text=each.text, blocks=each.blocks)
        if sent is not None and each.swap_request_id is not None:
            # So that answering it can update it: one UPDATE, no session.
            with services.turns.turn():
                set_swap_dm(
                    services.engine,
                    request_id=each.swap_request_id,
                    channel=sent.channel,
                    ts=sent.ts,
                )
        if sent is not None and each.cover_id is not None:
            with services.session() as session:
                remember_cover_dm(
                    session=session, cover_id=each.cover_id, channel=sent.channel, ts=sent.ts
                )


def parse_ticket_id(raw: str) -> int | None:
    """`1234` or `#1234`; anything else is not a ticket number."""
    digits = raw.strip().removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or int(digits) == 0:
        return None
    return int(digits)


def card_message(
    services: Services, ticket_id: int, *, notice: str | None = None, unmirrored: bool = False
) -> dict[str, Any]:
    """The card as message arguments, or a sentence saying why there is none. `unmirrored`:
    the mirror lacked the ticket a moment ago, so Zendesk is asked without looking again."""
    card: TicketCard | None = None
    try:
        if unmirrored:
            refreshed = fetched_for_card(services, ticket_id)
            ticket, card = refreshed.ticket, refreshed.card
        else:
            ticket = mirrored_or_fetched(services, ticket_id)
    except ZendeskNotFound:
        return {"text": not_found_text(ticket_id)}
    except ZendeskError as error:
        return {"text": zendesk_failure_text(str(error))}
    return ticket_message(services, ticket, notice=notice, card=card)


def ticket_message(
    services: Services,
    ticket: Ticket,
    *,
    notice: str | None = None,
    card: TicketCard | None = None,
) -> dict[str, Any]:
    """The card of a ticket already read (`card`: its facts, if read already), as message
    arguments."""
    try:
        card = card or ticket_card(services, ticket)
    except ZendeskNotFound:
        return {"text": not_found_text(ticket.id)}
    except ZendeskError as error:
        return {"text": zendesk_failure_text(str(error))}
    return card_as_message(services, card, notice=notice)


def card_as_message(
    services: Services, card: TicketCard, *, notice: str | None = None
) -> dict[str, Any]:
    blocks = ticket_card_blocks(card, services.calendar, now=services.now(), notice=notice)
    return {"text": ticket_card_text(card), "blocks": blocks}


# What the check needs from Bolt, besides the arguments the listener itself names.
NEEDS = ("body", "context")


def for_ticket_people(work: Callable[..., None]) -> Callable[..., None]:
    """`work` as a lazy listener (see after_ack) run only for people who may see tickets;
    anyone else is told who may, and nothing is done. The check asks Slack: it runs after
    the ack."""
    names = inspect.getfullargspec(work).args

    def checked(**kwargs: Any) -> None:
        body: dict[str, Any] = kwargs["body"]
        services = services_of(kwargs["context"])
        asker = asker_of(body)
        refusal = ticket_refusal(services, asker)
        if refusal is None:
            work(**{name: kwargs[name] for name in names})
            return
        response_url = body.get("response_url")
        if isinstance(response_url, str):
            services.responses.post(
                response_url,
                message_of(text=refusal, response_type="ephemeral", replace_original=False),
            )
        elif asker is not None:  # a modal or the App Home: the answer goes to their DM
            post(services.slack, channel=asker.user_id, text=refusal)

    return after_ack(asking_for(checked, [*names, *(n for n in NEEDS if n not in names)], work))
