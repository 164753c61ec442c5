"""What Slack says about a channel, for where ticket content may be posted."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def shared_outside(client: WebClient, channel_id: str) -> bool:
    """Whether the channel is shared with another organization (Slack Connect: is_ext_shared).

    True also when Slack does not say: client content is kept out rather than risked.
    """
    try:
        channel = client.conversations_info(channel=channel_id).get("channel")
    except (SlackApiError, OSError):
        return True
    return not isinstance(channel, dict) or bool(channel.get("is_ext_shared"))
