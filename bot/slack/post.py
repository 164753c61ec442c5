"""Posting to Slack, and what a refused call does: logged, and the rest carries on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import error_code

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Sent:
    """Where a message landed, to update or thread under it later."""

    channel: str
    ts: str


def send(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> Sent:
    """Post a message to a channel or a user id (their DM); Slack's refusal is raised."""
    answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
    return Sent(channel=str(answer.get("channel") or channel), ts=str(answer.get("ts") or ""))


def post(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> Sent | None:
    """Post a message; None when Slack refused it (logged): one failed message stops nothing."""
    return reported(
        f"post to {channel}",
        lambda: send(client, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts),
    )


def reported(what: str, call: Callable[[], T]) -> T | None:
    """`call`'s answer, or None when Slack refused it or could not be reached (logged)."""
    try:
        return call()
    except (SlackApiError, OSError) as error:
        log.warning("could not %s: %s", what, error_code(error) or error)
        return None


def update(
    client: WebClient,
    *,
    channel: str,
    ts: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Replace a message the bot sent; a refusal is logged."""
    reported(
        f"update the message {ts} in {channel}",
        lambda: client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
    )


def open_view(client: WebClient, *, trigger_id: str, view: dict[str, Any]) -> None:
    """Open a modal; a refusal (its trigger expired, say) is logged."""
    reported("open a modal", lambda: client.views_open(trigger_id=trigger_id, view=view))


def show_home(client: WebClient, *, user_id: str, view: dict[str, Any]) -> None:
    """Show a person their App Home; a refusal is logged."""
    reported(
        f"publish {user_id}'s App Home",
        lambda: client.views_publish(user_id=user_id, view=view),
    )
