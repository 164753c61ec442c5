"""Who Slack users are: every question the bot asks Slack about a person."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import USERS_NOT_FOUND, SlackUnavailable, error_code


def display_name(user: dict[str, Any]) -> str | None:
    """The one order of Slack's name fields: the real name (the user's, then the profile's),
    then the display name, then the handle; None when all are blank."""
    profile = user.get("profile") or {}
    candidates = (
        user.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


class SlackPeople:
    """Who Slack users are (bot or not, display name), asked once each per instance."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._users: dict[str, dict[str, Any]] = {}

    def _user(self, user_id: str) -> dict[str, Any]:
        if user_id not in self._users:
            try:
                answer = self.client.users_info(user=user_id)
            except (SlackApiError, OSError):
                return {}  # not remembered: the next question asks Slack again
            user = answer.get("user")
            self._users[user_id] = user if isinstance(user, dict) else {}
        return self._users[user_id]

    def is_bot(self, user_id: str) -> bool:
        user = self._user(user_id)
        return bool(user.get("is_bot")) or user_id == "USLACKBOT"

    def name(self, user_id: str) -> str:
        """The person's name, or their id when Slack does not know it."""
        return self.known_name(user_id) or user_id

    def known_name(self, user_id: str) -> str | None:
        return display_name(self._user(user_id))

    def learned_names(self) -> dict[str, str]:
        """The names of everyone Slack has told this instance about, by user id."""
        names = {user_id: display_name(user) for user_id, user in self._users.items()}
        return {user_id: name for user_id, name in names.items() if name is not None}


def user_by_email(client: WebClient, email: str) -> str | None:
    """The Slack user id with this email, None when nobody has it; SlackUnavailable if Slack
    refused to say."""
    try:
        answer = client.users_lookupByEmail(email=email)
    except SlackApiError as error:
        if error_code(error) == USERS_NOT_FOUND:
            return None
        raise SlackUnavailable(error_code(error) or str(error)) from error
    user = answer.get("user")
    return str(user["id"]) if isinstance(user, dict) else None
