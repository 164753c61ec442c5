"""The shapes Slack sends to /slack/events, checked before Bolt sees a request.

A signed body is from Slack, but Bolt and the listeners read its fields without checking
their types; anything Slack would never send is refused here, in one place, never a 500.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from bot import ids
from bot.store.types import LARGEST_ID

# Every field Slack sends as a text when it sends it at all.
COMMAND_FIELDS = ("command", "user_id", "channel_id")
INTERACTION_TEXTS = ("trigger_id", "response_url", "api_app_id", "callback_id")
EVENT_TEXTS = ("event_id", "team_id", "api_app_id")
WITH_TRIGGER = ("block_actions", "view_submission", "shortcut", "message_action")
# Buttons Rotabot puts only on messages (never on the App Home): their clicks bring a
# response_url, and their listeners answer through it.
ON_MESSAGES_ONLY = frozenset(
    {
        ids.TICKET_PRIORITY_RIGHT,
        ids.TICKET_PRIORITY_SET,
        ids.DIGEST_PRIORITY_RIGHT,
        ids.DIGEST_PRIORITY_SET,
        ids.ESCALATION_ACKNOWLEDGE,
        ids.ESCALATION_CONTACT,
    }
)


def slack_payload(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The parsed payload when the body has a shape Slack sends, else None."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if content_type.startswith("application/json"):
        payload = _json_object(decoded)
        return payload if payload is not None and _event_envelope_ok(payload) else None
    form = form_fields(decoded)
    if "ssl_check" in form:
        return {"ssl_check": form["ssl_check"][0]}
    if "command" in form:
        command = {name: values[0] for name, values in form.items()}
        ok = all(command.get(name) for name in COMMAND_FIELDS) and _url_or_absent(command)
        return command if ok and command["command"].startswith("/") else None
    if "payload" in form:
        payload = _json_object(form["payload"][0])
        return payload if payload is not None and _interaction_ok(payload) else None
    return None


def form_fields(text: str) -> dict[str, list[str]]:
    """A form body's fields, each with its values in order: what
    `urllib.parse.parse_qs(text, keep_blank_values=True)` gives, decoded faster.

    A click's body is its whole payload form-encoded, the message it was clicked on included
    (every block of a ticket card): about a third of its characters are `%XX` escapes, which
    the standard library decodes one at a time in Python: 220 µs for a click on a card, where
    this takes 32 µs (measured on the 4 kB body of a card's *Priority is right*).
    """
    fields: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields.setdefault(form_unquote(name), []).append(form_unquote(value))
    return fields


def form_unquote(part: str) -> str:
    """One form-encoded name or value decoded: `+` is a space, `%XX` a byte of UTF-8."""
    part = part.replace("+", " ")
    if "%" not in part:
        return part
    # Each %XX as \xXX is a character of the same number, read by the unicode_escape codec;
    # those characters as Latin-1 are the bytes, read as UTF-8. Only where nothing else in
    # the text would be read as an escape, and every escape is whole and the bytes UTF-8;
    # anything else (never from Slack) is decoded as the standard library does.
    if part.isascii() and "\\" not in part:
        try:
            escaped = part.replace("%", "\\x").encode("ascii")
            return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            pass
    return unquote(part, errors="replace")


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return None
    return payload


def _texts(mapping: dict[str, Any], names: tuple[str, ...]) -> bool:
    return all(isinstance(mapping.get(name, ""), str) for name in names)


def _url_or_absent(payload: dict[str, Any]) -> bool:
    """Where Slack gives a response_url, it is a web address Rotabot can answer at."""
    url = payload.get("response_url")
    return url is None or (isinstance(url, str) and url.startswith(("https://", "http://")))


def _with_id(value: Any, *, required: bool = False) -> bool:
    """A Slack object given by reference: {"id": "…", …} (None where it may be absent)."""
    if value is None:
        return not required
    return isinstance(value, dict) and _an_id(value.get("id"))


def _an_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _id_text(value: Any) -> bool:
    """A button value or modal metadata; a number in it is one Rotabot put there."""
    if not isinstance(value, str):
        return False
    digits = value.strip().removeprefix("#")
    return not (digits.isascii() and digits.isdigit()) or int(digits) <= LARGEST_ID


def _event_envelope_ok(payload: dict[str, Any]) -> bool:
    kind = payload["type"]
    if kind == "url_verification":
        return isinstance(payload.get("challenge"), str)
    if kind == "app_rate_limited":
        return True
    if kind != "event_callback":
        return False  # the only JSON bodies the Events API sends
    event = payload.get("event")
    if not _texts(payload, EVENT_TEXTS) or not isinstance(payload.get("event_id"), str):
        return False
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return False
    for name in ("user", "channel"):
        value = event.get(name)
        if value is not None and not (_an_id(value) or _with_id(value)):
            return False
    if event["type"] == "app_home_opened" and event.get("user") is None:
        return False  # Slack names who opened it
    if not all(isinstance(event.get(name, {}), dict) for name in ("message", "previous_message")):
        return False
    return isinstance(event.get("text", ""), str) and isinstance(event.get("tab", ""), str)


def _interaction_ok(payload: dict[str, Any]) -> bool:
    if not _with_id(payload.get("user"), required=True) or not _texts(payload, INTERACTION_TEXTS):
        return False
    if not _url_or_absent(payload):
        return False
    if payload["type"] in WITH_TRIGGER and not payload.get("trigger_id"):
        return False  # Slack gives one with every click and submission, to open a modal
    if not all(_with_id(payload.get(name)) for name in ("team", "channel", "enterprise")):
        return False
    for name in ("container", "message"):
        if not isinstance(payload.get(name, {}), dict):
            return False
    if "view" in payload or payload["type"] in ("view_submission", "view_closed"):
        if not _view_ok(payload.get("view")):
            return False
    if "message" in payload and not isinstance(payload.get("response_url"), str):
        return False  # a click in a message always comes with the URL to answer it
    if payload["type"] == "block_actions":
        actions = payload.get("actions")
        if not (isinstance(actions, list) and actions and all(map(_action_ok, actions))):
            return False
        on_a_message = isinstance(payload.get("response_url"), str)
        return on_a_message or not any(a["action_id"] in ON_MESSAGES_ONLY for a in actions)
    return True


def _view_ok(view: Any) -> bool:
    if not isinstance(view, dict) or not _texts(view, ("id", "callback_id", "hash")):
        return False
    if not isinstance(view.get("type"), str):  # "modal", "home": Bolt reads it unchecked
        return False
    if not _id_text(view.get("private_metadata", "")):
        return False
    state = view.get("state", {})
    return isinstance(state, dict) and isinstance(state.get("values", {}), dict)


def _action_ok(action: Any) -> bool:
    if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
        return False
    if not _texts(action, ("block_id", "type", "action_ts")) or not _id_text(
        action.get("value", "")
    ):
        return False
    option = action.get("selected_option")
    return option is None or (isinstance(option, dict) and _id_text(option.get("value")))
