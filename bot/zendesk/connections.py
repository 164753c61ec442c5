"""The Zendesk client's connections: kept open between requests, requests sent and answers
read by bot.kept; behind an HTTP proxy (or given a transport, as tests may), httpx clients of
one keep-alive connection each, kept between requests."""

from __future__ import annotations

import gzip
import http.client
import json
import queue
import threading
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.kept import KeptConnections

# Connections (or HTTP clients) kept between requests; a burst's extra ones close.
IDLE_CLIENTS = 16
# What a request that never got an answer raises, on either path.
TRANSPORT_ERRORS = (httpx.TransportError, OSError, http.client.HTTPException)


class Headers(dict[str, str]):
    """An answer's headers by lower-case name, looked up in any case."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())


@dataclass(frozen=True)
class Reply:
    """Zendesk's answer: its status, headers and body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class Connections:
    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        headers: dict[str, str],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url, self.timeout, self.headers = base_url, timeout, headers
        self.transport = transport
        # One TLS context for every connection: each would otherwise load the CA bundle
        # (~0.8 MB). httpx's, with certifi's certificates, as before.
        self._tls = httpx.create_ssl_context()
        self.kept = KeptConnections(timeout=timeout, tls=self._tls, kept_per_origin=IDLE_CLIENTS)
        # HTTP clients not in use, one keep-alive connection each (see client).
        self._idle: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
        self._made: list[httpx.Client] = []
        self._made_lock = threading.Lock()

    def send(
        self, method: str, path: str, *, json_body: Any = None, compressed: bool = False
    ) -> Reply:
        """One request (`path` under the base URL, with its query); the answer, whatever its
        status. `compressed`: asked for gzip (an export page is megabytes of JSON; a card's
        ticket, a few kilobytes, costs more to compress than to send). Raises one of
        TRANSPORT_ERRORS when no answer came, or not a whole one."""
        if self.transport is not None or self.kept.proxied:
            with self.client() as client:
                response = client.request(method, path, json=json_body)
            found = Headers((name.lower(), value) for name, value in response.headers.items())
            return Reply(response.status_code, found, response.content)
        headers = {**self.headers, "Accept-Encoding": "gzip" if compressed else "identity"}
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        answer = self.kept.request(method, self.base_url + path, body, headers)
        content = answer.body
        if answer.headers.get("content-encoding", "").strip().lower() == "gzip":
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError, zlib.error) as error:
                raise http.client.HTTPException(f"a broken gzip answer: {error}") from None
        return Reply(answer.status, Headers(answer.headers), content)

    def close(self) -> None:
        self.kept.close()
        with self._made_lock:
            made, self._made = self._made, []
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break
        for client in made:
            client.close()

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        """An HTTP client of one's own for one request, kept for the next (behind a proxy).

        Each holds one connection: a client shared by the comment readers pooled theirs,
        and httpcore polls every idle connection of its pool on every request.
        """
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = httpx.Client(
                base_url=self.base_url,
                timeout=self.timeout,
                headers=self.headers,
                transport=self.transport,
                verify=self._tls,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            with self._made_lock:
                self._made.append(client)
        try:
            yield client
        finally:
            self._give_back(client)

    def _give_back(self, client: httpx.Client) -> None:
        """Keep a client for the next request, unless a burst left more than enough idle."""
        if self._idle.qsize() < IDLE_CLIENTS:
            self._idle.put(client)
            return
        with self._made_lock:
            if client in self._made:
                self._made.remove(client)
        client.close()
