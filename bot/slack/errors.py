"""Slack's error codes, named once: nothing else spells out Slack's error strings."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

CHANNEL_NOT_FOUND = "channel_not_found"
NOT_IN_CHANNEL = "not_in_channel"
IS_ARCHIVED = "is_archived"
USERS_NOT_FOUND = "users_not_found"
INVALID_AUTH = "invalid_auth"
NOT_AUTHED = "not_authed"
ACCOUNT_INACTIVE = "account_inactive"
TOKEN_REVOKED = "token_revoked"

# The bot cannot post in the channel until someone invites it.
BOT_NOT_IN_CHANNEL = frozenset({NOT_IN_CHANNEL, CHANNEL_NOT_FOUND})


class SlackUnavailable(Exception):
    """Slack refused a question asked through bot.slack; the text is Slack's error code."""


def error_code(error: BaseException) -> str:
    """Slack's code for a refused call; "" when Slack gave none (the network failed, say)."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "")
    return ""
