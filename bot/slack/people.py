"""Who Slack users are: every question the bot asks Slack about a person."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


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
