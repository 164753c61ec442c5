# Facts from /work/shared/reference/slack-web-api-openapi-v2.json ("required" and descriptions).
"""The Slack Web API methods Rotabot calls and the arguments Slack requires for each.

The token is left out: it travels in the Authorization header.
"""

from __future__ import annotations

REQUIRED_ARGS: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"channel"}),
    "chat.postEphemeral": frozenset({"channel", "user"}),
    "chat.update": frozenset({"channel", "ts"}),
    # The reference marks neither channel nor ts as required for chat.delete.
    "chat.delete": frozenset(),
    "chat.getPermalink": frozenset({"channel", "message_ts"}),
    "conversations.open": frozenset(),
    "conversations.info": frozenset(),
    "conversations.members": frozenset(),
    "users.info": frozenset(),
    "users.lookupByEmail": frozenset({"email"}),
    "users.list": frozenset(),
    "views.open": frozenset({"trigger_id", "view"}),
    "views.publish": frozenset({"user_id", "view"}),
    # The reference does not mark view as required for views.update.
    "views.update": frozenset(),
    "views.push": frozenset({"trigger_id", "view"}),
    "reactions.add": frozenset({"channel", "name", "timestamp"}),
    "apps.connections.open": frozenset(),
    "usergroups.list": frozenset(),
    "usergroups.users.list": frozenset({"usergroup"}),
    "usergroups.users.update": frozenset({"usergroup", "users"}),
    # The reference marks neither as required; Slack's method page requires both, and an
    # empty topic (clearing it) is allowed, so `topic` is checked for presence by the fake.
    "conversations.setTopic": frozenset({"channel"}),
}

# The bot scope each method needs (Slack's method pages); a fake workspace may lack some.
SCOPE_OF: dict[str, tuple[str, ...]] = {
    "usergroups.list": ("usergroups:read",),
    "usergroups.users.list": ("usergroups:read",),
    "usergroups.users.update": ("usergroups:write",),
    # Either: public channels need the first, private ones the second.
    "conversations.setTopic": ("channels:write.topic", "groups:write.topic"),
}

# Slack's limit on a channel topic (conversations.setTopic answers too_long past it).
TOPIC_MOST = 250

# Methods that take the app-level token (xapp-) instead of a bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

# Rules the reference states in parameter descriptions: at least one of these must be given.
AT_LEAST_ONE_OF: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"text", "blocks", "attachments"}),
    "chat.postEphemeral": frozenset({"text", "blocks", "attachments"}),
    "chat.update": frozenset({"text", "blocks", "attachments"}),
    "conversations.open": frozenset({"channel", "users"}),
    "views.update": frozenset({"view_id", "external_id"}),
}
