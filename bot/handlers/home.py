"""The App Home tab: your rotas, your weeks, and swap requests waiting on you."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.home import HomeContext, home_view
from bot.handlers.rota_command import send_all
from bot.nudges.personal import personal_nudges
from bot.rota.commands import home_summaries
from bot.services import Services, services_of
from bot.slack.listeners import acknowledge, after_ack
from bot.store.promises import open_promises_of

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(ack=acknowledge, lazy=[after_ack(home_opened)])


def home_opened(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(services_of(context), client, str(event.get("user", "")))


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
    try:
        client.views_publish(user_id=user_id, view=home_view(home))
    except SlackApiError as error:
        log.warning("could not publish %s's App Home: %s", user_id, error.response.get("error"))
