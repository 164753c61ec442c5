"""The App Home tab: your rotas, your weeks, and swap requests waiting on you."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners import acked_then, after_ack
from bot.services import services_of
from bot.surfaces import publish_home


def register(app: App) -> None:
    app.event("app_home_opened")(acked_then(after_ack(home_opened)))


def home_opened(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(services_of(context), client, str(event.get("user", "")))
