"""The few Block Kit elements every surface uses, so their shape is written once."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

# Slack's limits: a section's text, blocks per message, buttons per actions block.
MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_ACTIONS = 25


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def link(url: str, label: str) -> str:
    return f"<{url}|{escape(label)}>"


def ticket_url(zendesk_url: str | None, ticket_id: int) -> str | None:
    """The ticket in Zendesk's agent interface; None when Zendesk is not configured."""
    return None if zendesk_url is None else f"{zendesk_url}/agent/tickets/{ticket_id}"


def section(text: str, *, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(text)}]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str,
    *,
    action_id: str,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:MAX_ACTIONS])}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def _fit(text: str) -> str:
    if len(text) <= MAX_SECTION_TEXT:
        return text
    return text[: MAX_SECTION_TEXT - 1] + "…"
