"""What Slack says about a channel, for where ticket content may be posted."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def ext_shared(client: WebClient, channel_id: str) -> bool | None:
    """Whether the channel is shared with another organization (Slack Connect: is_ext_shared);
    None when Slack did not say."""
    try:
        channel = client.conversations_info(channel=channel_id).get("channel")
    except (SlackApiError, OSError):
        return None
    return bool(channel.get("is_ext_shared")) if isinstance(channel, dict) else None


def shared_outside(client: WebClient, channel_id: str) -> bool:
    """Whether ticket content must stay out of the channel: it is shared with another
    organization, or Slack did not say (client content is kept out rather than risked)."""
    return ext_shared(client, channel_id) is not False
