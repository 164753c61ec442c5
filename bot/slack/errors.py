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
MISSING_SCOPE = "missing_scope"
# User groups: a free workspace has none (Slack answers either code), and some tokens may not.
PAID_TEAMS_ONLY = "paid_teams_only"
PLAN_UPGRADE_REQUIRED = "plan_upgrade_required"
NOT_ALLOWED_TOKEN_TYPE = "not_allowed_token_type"
NO_SUCH_SUBTEAM = "no_such_subteam"
PERMISSION_DENIED = "permission_denied"
INVALID_USERS = "invalid_users"
NO_USERS_PROVIDED = "no_users_provided"
TOO_LONG = "too_long"

# The bot cannot post in the channel until someone invites it.
BOT_NOT_IN_CHANNEL = frozenset({NOT_IN_CHANNEL, CHANNEL_NOT_FOUND})


class SlackUnavailable(Exception):
    """Slack refused a question asked through bot.slack; the text is Slack's error code."""


def error_code(error: BaseException) -> str:
    """Slack's code for a refused call; "" when Slack gave none (the network failed, say)."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "")
    return ""
