"""HTTP/1.1 connections kept open between requests, per origin (to Slack, and to Zendesk).

slack_sdk's clients (WebClient, WebhookClient, on urllib) open a new connection for every
call: towards Slack a TCP and a TLS handshake, two round trips more before each answer. Here
each origin keeps a few connections open, as browsers do; one idle for IDLE_S is closed rather
than reused (servers close idle connections; a request on one the server has just closed
would fail). A request that fails on a kept connection before any answer came back is sent
once more on a new one: the server closed it while it was idle, and has not seen the
request. Behind an HTTP proxy (HTTPS_PROXY or HTTP_PROXY set) `proxied` is true, and the
callers go through slack_sdk, which knows proxies.

Requests are written and answers read here, on the socket: http.client reads an answer's
headers through the email package's parser, which cost a sixth of a card click's CPU. Only
what Slack's answers need is read: a status line, headers, and a body by its length, in
chunks, or to the connection's end. The errors are http.client's own (RemoteDisconnected,
IncompleteRead, BadStatusLine...), so callers and slack_sdk's retry handlers see what they
saw before.
"""

from __future__ import annotations

import http.client
import os
import socket
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
# As http.client: the longest status or header line, and the most header lines, accepted.
MAX_LINE = 65536
MAX_HEADERS = 100

Origin = tuple[str, str, int]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case; a repeated header's last value
    body: bytes


def proxy_in_environment() -> bool:
    return any(os.environ.get(name) for name in PROXY_VARIABLES)


class Connection:
    """One HTTP/1.1 connection to an origin: a request at a time, each answer read in full."""

    def __init__(self, origin: Origin, *, timeout: float, tls: ssl.SSLContext | None) -> None:
        scheme, host, port = origin
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            # Small requests must leave at once, not wait for the last one's ACK (Nagle).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                assert tls is not None
                sock = tls.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.file = sock.makefile("rb")
        default = 443 if scheme == "https" else 80
        self.host = host if port == default else f"{host}:{port}"

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def send(self, method: str, target: str, body: bytes, headers: Mapping[str, str]) -> None:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        given = {name.lower() for name in headers}
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")  # as http.client: no compressed answers
        for name, value in headers.items():
            if name.lower() in ("host", "content-length"):
                continue
            if any(c in name + value for c in "\r\n\0") or ":" in name:
                raise ValueError(f"invalid header {name!r}")
            lines.append(f"{name}: {value}")
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def status(self) -> tuple[str, int]:
        """The status line's version and code; RemoteDisconnected if the server closed first."""
        line = self.file.readline(MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("status line")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise http.client.BadStatusLine(line.decode("latin-1"))
        return version, int(code)

    def headers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        last = ""
        for _ in range(MAX_HEADERS + 1):
            line = self.file.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                raise http.client.LineTooLong("header line")
            if line in (b"\r\n", b"\n", b""):
                return found
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and last:  # a folded line continues the last header
                found[last] += " " + text.strip()
                continue
            name, _, value = text.partition(":")
            last = name.strip().lower()
            found[last] = value.strip()
        raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")

    def body(self, method: str, code: int, headers: Mapping[str, str]) -> tuple[bytes, bool]:
        """The answer's body, and whether the connection ends with it."""
        if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            return b"", False
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._chunked(), False
        length = headers.get("content-length")
        if length is None:
            return self.file.read(), True  # the body runs to the connection's end
        try:
            size = int(length)
        except ValueError:
            raise http.client.HTTPException(f"invalid Content-Length {length!r}") from None
        return self._exactly(size), False

    def _exactly(self, size: int) -> bytes:
        data = self.file.read(size)
        if len(data) < size:
            raise http.client.IncompleteRead(data, size - len(data))
        return data

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self.file.readline(MAX_LINE + 1)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise http.client.IncompleteRead(b"".join(parts)) from None
            if size == 0:
                while self.file.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: nothing Slack sends that is needed
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._exactly(2)  # the chunk's CRLF


class KeptConnections:
    """Requests over connections kept open per origin (scheme, host, port)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        proxied: bool | None = None,
        tls: ssl.SSLContext | None = None,
        kept_per_origin: int = KEPT_PER_ORIGIN,
    ) -> None:
        """`tls`: the context for https (by default the system's certificates, as urllib's)."""
        self.timeout, self.clock = timeout, clock
        self.proxied = proxy_in_environment() if proxied is None else proxied
        self.kept_per_origin = kept_per_origin
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[float, Connection]]] = {}
        self._tls = tls
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
                connection.send(method, target, body, headers)
                while True:
                    version, code = connection.status()
                    found = connection.headers()
                    if not 100 <= code < 200 or code == 101:
                        break  # an interim answer (100 Continue) is followed by the answer
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
                data, ended = connection.body(method, code, found)
            except BaseException:
                # An answer had begun: the server took the request, which is not sent again.
                connection.close()
                raise
            if ended or _closes(version, found):
                connection.close()
            else:
                self._give_back(origin, connection)
            return Answer(code, found, data)

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
        tls = self._tls_context() if origin[0] == "https" else None
        return Connection(origin, timeout=self.timeout, tls=tls), False

    def _give_back(self, origin: Origin, connection: Connection) -> None:
        with self._lock:
            kept = self._idle.setdefault(origin, [])
            if len(kept) < self.kept_per_origin:
                kept.append((self.clock(), connection))
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls


def _closes(version: str, headers: Mapping[str, str]) -> bool:
    """Whether the server ends the connection after this answer."""
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    if "close" in tokens:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in tokens


def _before_any_answer(error: BaseException) -> bool:
    """The server closed the connection without answering: the post was not taken."""
    return isinstance(
        error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
    )
