"""Messages posted to a request's `response_url`, over connections kept open between posts.

Bolt's `respond` (slack_sdk's WebhookClient, on urllib) opens a new connection for every
post: on the way to Slack a TCP and a TLS handshake, two round trips more before the person
sees the answer. Here each origin keeps a few connections open, as browsers do; one idle for
IDLE_S is closed rather than reused (servers close idle connections; a post on one the server
has just closed would fail). A post that fails on a kept connection before any answer came
back is sent once more on a new one: the server closed it while it was idle, and has not
seen the post. Behind an HTTP proxy (HTTPS_PROXY or HTTP_PROXY set) posts go through
WebhookClient, which knows proxies.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.context.respond import Respond
from slack_sdk.webhook import WebhookClient, WebhookResponse

# A kept connection idle this long is closed, not used: well inside what servers allow.
IDLE_S = 20.0
# Connections kept per origin; a busy moment's extra ones are closed after their post.
KEPT_PER_ORIGIN = 8
TIMEOUT_S = 5.0
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
USER_AGENT = "rotabot"

Origin = tuple[str, str, int]
Connection = http.client.HTTPConnection


class ResponseUrls:
    """Posts to response URLs, keeping connections open per origin (scheme, host, port)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        proxied: bool | None = None,
    ) -> None:
        self.timeout, self.clock = timeout, clock
        self.proxied = (
            any(os.environ.get(name) for name in PROXY_VARIABLES) if proxied is None else proxied
        )
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[float, Connection]]] = {}
        self._tls: ssl.SSLContext | None = None
        # Connections opened (not reused) so far: what tests and benchmarks compare.
        self.opened = 0

    def post(self, url: str, message: dict[str, Any]) -> WebhookResponse:
        if self.proxied:
            return WebhookClient(url, timeout=int(self.timeout)).send_dict(message)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a response URL: {url!r}")
        origin = (
            parts.scheme,
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
        )
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        body = json.dumps(message).encode()
        headers = {
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": USER_AGENT,
        }
        while True:
            connection, kept = self._take(origin)
            try:
                connection.request("POST", target, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            except (ConnectionError, http.client.BadStatusLine) as error:
                # RemoteDisconnected is both: closed before any answer came back.
                connection.close()
                if kept and _before_any_answer(error):
                    continue  # closed by the server while idle: try a new connection
                raise
            except BaseException:
                connection.close()
                raise
            if answer.will_close:
                connection.close()
            else:
                self._give_back(origin, connection)
            return WebhookResponse(
                url=url,
                status_code=answer.status,
                body=data.decode("utf-8", errors="replace"),
                headers={name.lower(): value for name, value in answer.getheaders()},
            )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for _, connection in connections:
                connection.close()

    def _take(self, origin: Origin) -> tuple[Connection, bool]:
        """A kept connection not idle too long (True), or a new one (False)."""
        now = self.clock()
        stale: list[Connection] = []
        found: Connection | None = None
        with self._lock:
            kept = self._idle.get(origin, [])
            while kept:
                since, connection = kept.pop()
                if now - since < IDLE_S:
                    found = connection
                    break
                stale.append(connection)
            if found is None:
                self.opened += 1
        for connection in stale:
            connection.close()
        if found is not None:
            return found, True
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._tls_context()
            ), False
        return http.client.HTTPConnection(host, port, timeout=self.timeout), False

    def _give_back(self, origin: Origin, connection: Connection) -> None:
        with self._lock:
            kept = self._idle.setdefault(origin, [])
            if len(kept) < KEPT_PER_ORIGIN:
                kept.append((self.clock(), connection))
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls


def _before_any_answer(error: BaseException) -> bool:
    """The server closed the connection without answering: the post was not taken."""
    return isinstance(
        error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
    )


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
