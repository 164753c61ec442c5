"""manifest.yml creates the whole app in one paste, with only the scopes the bot uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The scope each Web API method the bot calls needs (from Slack's method reference).
SCOPE_OF: dict[str, str | tuple[str, ...] | None] = {
    # Whether a rota channel, public or private, is shared with another organization.
    "conversations_info": ("channels:read", "groups:read"),
    # The channel topic's "On support" line, public or private channel.
    "conversations_setTopic": ("channels:write.topic", "groups:write.topic"),
    "usergroups_list": "usergroups:read",
    "usergroups_users_list": "usergroups:read",
    "usergroups_users_update": "usergroups:write",
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "views_open": None,
    "views_publish": None,
    "auth_test": None,
}


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_both_commands_escape_mentions_and_say_how_to_use_them() -> None:
    commands = {c["command"]: c for c in manifest()["features"]["slash_commands"]}
    assert set(commands) == {"/rota", "/ticket"}
    for command in commands.values():
        assert command["should_escape"] is True
        assert command["usage_hint"] and command["description"]


def test_app_home_interactivity_events_and_socket_mode() -> None:
    app = manifest()
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert app["features"]["app_home"]["messages_tab_enabled"] is True
    assert app["features"]["bot_user"]["display_name"] == "Rotabot"
    assert app["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert app["settings"]["interactivity"]["is_enabled"] is True
    assert app["settings"]["socket_mode_enabled"] is True


def test_scopes_are_exactly_what_the_bot_calls() -> None:
    called = set()
    for path in (ROOT / "bot").rglob("*.py"):
        called |= set(
            re.findall(
                r"\.(chat_\w+|users_\w+|usergroups_\w+|views_\w+|conversations_\w+)\(",
                path.read_text(),
            )
        )
    unknown = called - set(SCOPE_OF)
    assert not unknown, f"add the scope these methods need to SCOPE_OF: {unknown}"
    needed = {"commands"}
    for method in called:
        scopes = SCOPE_OF[method]
        needed |= set(scopes) if isinstance(scopes, tuple) else {scopes} - {None}
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
