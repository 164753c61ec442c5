"""The floor: a bare Bolt app configured exactly as Rotabot's (process_before_response, the same
request door, waitress with the same threads), whose slash commands only ack a fixed text and
whose buttons only ack.

Run as `python -m benchmarks.bare_bolt PORT`; it serves until terminated.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime

from slack_bolt import Ack, App
from slack_sdk import WebClient

from benchmarks.common import BOT_TOKEN, SIGNING_SECRET
from bot.http.requests import Router, WebRequest, WebResponse
from bot.http.server import create_http_server
from bot.http.wsgi import SlackEndpoint, WsgiApp

FIXED_TEXT = "Got it."


def fixed_ack(ack: Ack) -> None:
    ack(text=FIXED_TEXT)


def bare_ack(ack: Ack) -> None:
    ack()


def build_bare_wsgi() -> WsgiApp:
    bolt = App(
        # Bolt checks the token with auth.test once; SLACK_API_URL keeps that on the fake Slack.
        client=WebClient(token=BOT_TOKEN, base_url=os.environ["SLACK_API_URL"]),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        # The endpoint below checks the signature, exactly as it does for Rotabot.
        request_verification_enabled=False,
        # As Rotabot's: Bolt answers as soon as the ack function returns, polling nothing.
        process_before_response=True,
    )
    bolt.command("/rota")(fixed_ack)
    bolt.command("/ticket")(fixed_ack)
    bolt.action(re.compile(".*"))(bare_ack)
    router = Router()
    router.add("GET", "/healthz", health)
    router.add("POST", "/slack/events", SlackEndpoint(bolt, SIGNING_SECRET, first_time=no_memory))
    return WsgiApp(router)


def no_memory(_signature: str, _signed_at: datetime) -> bool:
    """The floor keeps no database, so it cannot tell a replay."""
    return True


def health(_request: WebRequest) -> WebResponse:
    return WebResponse.text(200, "ok")


if __name__ == "__main__":
    create_http_server(build_bare_wsgi(), host="127.0.0.1", port=int(sys.argv[1])).run()
