"""HTTP/1.1 connections to Slack kept open between requests, per origin.

slack_sdk's clients (WebClient, WebhookClient, on urllib) open a new connection for every
call: towards Slack a TCP and a TLS handshake, two round trips more before each answer. Here
each origin keeps a few connections open, as browsers do; one idle for IDLE_S is closed rather
than reused (servers close idle connections; a request on one the server has just closed
would fail). A request that fails on a kept connection before any answer came back is sent
once more on a new one: the server closed it while it was idle, and has not seen the
request. Behind an HTTP proxy (HTTPS_PROXY or HTTP_PROXY set) `proxied` is true, and the
callers go through slack_sdk, which knows proxies.
"""

from __future__ import annotations

import http.client
import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# A kept connection idle this long is closed, not used: well inside what servers allow.
IDLE_S = 20.0
# Connections kept per origin; a busy moment's extra ones are closed after their request.
KEPT_PER_ORIGIN = 8
TIMEOUT_S = 10.0
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

Origin = tuple[str, str, int]
Connection = http.client.HTTPConnection


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def proxy_in_environment() -> bool:
    return any(os.environ.get(name) for name in PROXY_VARIABLES)


class KeptConnections:
    """Requests over connections kept open per origin (scheme, host, port)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        proxied: bool | None = None,
    ) -> None:
        self.timeout, self.clock = timeout, clock
        self.proxied = proxy_in_environment() if proxied is None else proxied
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[float, Connection]]] = {}
        self._tls: ssl.SSLContext | None = None
        # Connections opened (not reused) so far: what tests compare.
        self.opened = 0

    def __deepcopy__(self, memo: dict[int, object]) -> KeptConnections:
        return self  # connections are shared, never copied

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an HTTP URL: {url!r}")
        origin = (
            parts.scheme,
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
        )
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        while True:
            connection, kept = self._take(origin)
            try:
                connection.request(method, target, body=body, headers=dict(headers))
                answer = connection.getresponse()
            except (ConnectionError, http.client.BadStatusLine) as error:
                # RemoteDisconnected is both: closed before any answer came back.
                connection.close()
                if kept and _before_any_answer(error):
                    continue  # closed by the server while idle: try a new connection
                raise
            except BaseException:
                connection.close()
                raise
            try:
                data = answer.read()
            except BaseException:
                # An answer had begun: the server took the request, which is not sent again.
                connection.close()
                raise
            if answer.will_close:
                connection.close()
            else:
                self._give_back(origin, connection)
            found = {name.lower(): value for name, value in answer.getheaders()}
            return Answer(answer.status, found, data)

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
