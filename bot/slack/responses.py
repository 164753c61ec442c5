"""Messages posted to a request's `response_url`, over connections kept open between posts.

Bolt's `respond` (slack_sdk's WebhookClient, on urllib) opens a new connection for every post:
towards Slack a TCP and a TLS handshake, two round trips more before the person sees the
answer. These go over bot.kept's connections; behind an HTTP proxy, through
WebhookClient, which knows proxies.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.kept import KeptConnections

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": "rotabot"}


class ResponseUrls:
    """Posts to response URLs."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, proxied: bool | None = None
    ) -> None:
        self.connections = KeptConnections(timeout=TIMEOUT_S, clock=clock, proxied=proxied)

    @property
    def opened(self) -> int:
        return self.connections.opened

    def post(self, url: str, message: dict[str, Any]) -> WebhookResponse:
        if self.connections.proxied:
            return WebhookClient(url, timeout=int(TIMEOUT_S)).send_dict(message)
        answer = self.connections.request("POST", url, json.dumps(message).encode(), HEADERS)
        body = answer.body.decode("utf-8", errors="replace")
        if answer.status != 200:
            # A response URL takes five posts within 30 minutes: past that (or gone), Slack
            # refuses, and the answer is lost. Said in the log; the caller has the status.
            log.warning("Slack refused a post to a response URL (HTTP %s): %s", answer.status, body)
        return WebhookResponse(
            url=url, status_code=answer.status, body=body, headers=answer.headers
        )

    def close(self) -> None:
        self.connections.close()


class KeptAliveRespond(Respond):
    """Bolt's `respond` (the same arguments and answer), posting through ResponseUrls."""

    def __init__(self, *, response_url: str | None, posts: ResponseUrls) -> None:
        super().__init__(response_url=response_url)
        self.posts = posts

    def __deepcopy__(self, memo: dict[int, Any]) -> KeptAliveRespond:
        # Bolt copies the context for lazy listeners: the copies share the connections.
        return KeptAliveRespond(response_url=self.response_url, posts=self.posts)

    def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            return self.posts.post(self.response_url, message_of(**text))
        return self.posts.post(
            self.response_url,
            message_of(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            ),
        )


def message_of(text: str = "", **fields: Any) -> dict[str, Any]:
    """A response_url message as Bolt's `respond` builds it: the text (even empty), blocks and
    attachments when there are any (as dicts), every other field given (not None)."""
    message: dict[str, Any] = {"text": text}
    for name, value in fields.items():
        if name in ("blocks", "attachments"):
            if value:
                message[name] = [_as_dict(item) for item in value]
        elif value is not None:
            message[name] = value
    return message


def _as_dict(item: Any) -> Any:
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item
