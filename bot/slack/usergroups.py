"""User groups and channel topics: what Slack holds, and setting it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import SlackUnavailable, error_code


@dataclass(frozen=True)
class UserGroup:
    id: str
    handle: str


def _asked(call_name: str, call: Callable[[], Any]) -> dict[str, Any]:
    """Slack's answer; SlackUnavailable with Slack's error code when it refused."""
    try:
        answer = call()
    except SlackApiError as error:
        raise SlackUnavailable(error_code(error) or "fatal_error") from error
    except OSError as error:
        raise SlackUnavailable(f"{call_name} failed: {error}") from error
    data = getattr(answer, "data", answer)
    return data if isinstance(data, dict) else {}


def all_groups(client: WebClient) -> list[UserGroup]:
    """The workspace's enabled user groups."""
    found = _asked("usergroups.list", lambda: client.usergroups_list())
    return [
        UserGroup(str(g["id"]), str(g.get("handle", "")))
        for g in found.get("usergroups") or []
        if isinstance(g, dict) and g.get("id")
    ]


def find_group(client: WebClient, *, group_id: str | None, handle: str | None) -> UserGroup | None:
    """The workspace's enabled user group with this id (or else handle); None when none has."""
    groups = all_groups(client)
    wanted = (handle or "").lstrip("@").casefold()
    return next((g for g in groups if group_id and g.id == group_id), None) or next(
        (g for g in groups if wanted and g.handle.casefold() == wanted), None
    )


def group_members(client: WebClient, group_id: str) -> list[str]:
    found = _asked(
        "usergroups.users.list", lambda: client.usergroups_users_list(usergroup=group_id)
    )
    return [str(u) for u in found.get("users") or []]


def set_group_members(client: WebClient, group_id: str, users: list[str]) -> None:
    """Replace the group's members (Slack refuses an empty list: never pass one)."""
    _asked(
        "usergroups.users.update",
        lambda: client.usergroups_users_update(usergroup=group_id, users=users),
    )


def channel_topic(client: WebClient, channel_id: str) -> str:
    found = _asked("conversations.info", lambda: client.conversations_info(channel=channel_id))
    channel = found.get("channel")
    topic = channel.get("topic") if isinstance(channel, dict) else None
    return str(topic.get("value") or "") if isinstance(topic, dict) else ""


def set_channel_topic(client: WebClient, channel_id: str, topic: str) -> None:
    _asked(
        "conversations.setTopic",
        lambda: client.conversations_setTopic(channel=channel_id, topic=topic),
    )
