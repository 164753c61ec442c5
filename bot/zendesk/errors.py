"""The Zendesk client's errors, each one's str() a sentence a person can act on, and the
answers read: what a body holds, or the error it means."""

from __future__ import annotations

from typing import Any

from bot.zendesk.connections import Reply


class ZendeskError(Exception):
    """Zendesk could not do what was asked; str() is a sentence for a person."""


class ZendeskNotConfigured(ZendeskError):
    """ZENDESK_URL (and its credentials) are not set."""

    def __init__(self) -> None:
        super().__init__(
            "Zendesk is not connected to Rotabot yet: whoever runs Rotabot needs to set "
            "ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        )


class ZendeskNotFound(ZendeskError):
    """404: the record does not exist (or the token cannot see it)."""


class ZendeskNotAllowed(ZendeskError):
    """401 or 403: the credentials are wrong, or lack the permission."""


class ZendeskBadCredentials(ZendeskNotAllowed):
    """401: the email or API token is wrong (403 means the user lacks a permission)."""


class ZendeskRateLimited(ZendeskError):
    """The budget (or Zendesk's 429) frees up later than the caller can wait."""


class ZendeskUnavailable(ZendeskError):
    """5xx or no connection, after the retries."""


class ZendeskPageTooBig(ZendeskUnavailable):
    """504 on an export page: a smaller page may be ready in time."""


class ZendeskRejected(ZendeskError):
    """400/422: Zendesk understood the request and refused it (e.g. a closed ticket)."""


def _description(response: Reply) -> str:
    """Zendesk's own words about a refused request, as one short phrase."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    details = body.get("details")
    if isinstance(details, dict):
        messages = [
            str(item.get("description"))
            for items in details.values()
            if isinstance(items, list)
            for item in items
            if isinstance(item, dict) and item.get("description")
        ]
        if messages:
            return "; ".join(messages)
    for key in ("description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return f"HTTP {response.status_code}"


def answer_body(response: Reply, what: str, *, changing: bool) -> dict[str, Any]:
    """The JSON object Zendesk answered, or the ZendeskError its status means."""
    status = response.status_code
    if status == 404:
        raise ZendeskNotFound(f"Zendesk says {what} does not exist")
    if status == 401:
        raise ZendeskBadCredentials(
            "Zendesk refused Rotabot's credentials (401): check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        )
    if status == 403:
        raise ZendeskNotAllowed(
            f"Zendesk does not allow Rotabot's user to read or change {what} (403)"
        )
    if status >= 400:
        request = "change" if changing else "request"
        raise ZendeskRejected(f"Zendesk refused the {request}: {_description(response)}")
    try:
        body = response.json()
    except ValueError:
        raise ZendeskUnavailable(
            f"Zendesk answered HTTP {status} without JSON; try again in a few minutes"
        ) from None
    if not isinstance(body, dict):
        raise ZendeskUnavailable("Zendesk answered with an unexpected shape")
    return body


def items_in(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects listed under `key` (none when the answer has no such list)."""
    value = body.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def object_in(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The object under `key`; ZendeskUnavailable when the answer has none."""
    value = body.get(key)
    if not isinstance(value, dict):
        raise ZendeskUnavailable(f"Zendesk answered without a {key}; try again in a few minutes")
    return value
