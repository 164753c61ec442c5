"""The Zendesk client's HTTP clients: one keep-alive connection each, kept between requests."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# HTTP clients (and their connections) kept between requests; a burst's extra ones close.
IDLE_CLIENTS = 16


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
        # One TLS context for every client: each would otherwise load the CA bundle (~0.8 MB).
        self._tls = httpx.create_ssl_context()
        # HTTP clients not in use, one keep-alive connection each (see client).
        self._idle: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
        self._made: list[httpx.Client] = []
        self._made_lock = threading.Lock()

    def close(self) -> None:
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
        """An HTTP client of one's own for one request, kept for the next.

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
